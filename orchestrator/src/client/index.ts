import {
  Client,
  type Connection,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client'
import type { PipelineRunInput, pipelineWorkflow, StepState } from '../workflows/pipeline.ts'
import type { smokeWorkflow } from '../workflows/smoke.ts'

export type PipelineRunHandle = WorkflowHandleWithFirstExecutionRunId<typeof pipelineWorkflow>
export type { PipelineRunInput, PipelineRunResult, StepState } from '../workflows/pipeline.ts'

export interface OrchestratorClientOptions {
  connection: Connection
  namespace: string
  taskQueue: string
}

/** Starts workflows on the workbench task queue; the API and tests use this rather than raw SDK calls. */
export class OrchestratorClient {
  readonly #client: Client
  readonly #taskQueue: string

  constructor(options: OrchestratorClientOptions) {
    this.#client = new Client({ connection: options.connection, namespace: options.namespace })
    this.#taskQueue = options.taskQueue
  }

  /** Runs the smoke workflow to completion and returns its result. */
  async runSmoke(message: string, workflowId = `smoke-${crypto.randomUUID()}`): ReturnType<typeof smokeWorkflow> {
    return this.#client.workflow.execute<typeof smokeWorkflow>('smokeWorkflow', {
      taskQueue: this.#taskQueue,
      workflowId,
      args: [message],
      workflowExecutionTimeout: '1 minute',
    })
  }

  /**
   * Starts a pipeline run. The spec must have passed `validatePipeline` and the params `resolveParams`:
   * the workflow only re-checks the graph, and fails a bad spec without retrying.
   */
  async startPipeline(input: PipelineRunInput, options: { workflowId?: string } = {}): Promise<PipelineRunHandle> {
    return this.#client.workflow.start<typeof pipelineWorkflow>('pipelineWorkflow', {
      taskQueue: this.#taskQueue,
      workflowId: options.workflowId ?? `pipeline-${input.spec.metadata.name}-${crypto.randomUUID()}`,
      args: [input],
    })
  }

  /** A handle on an existing run (result, cancel, describe). */
  pipelineRun(workflowId: string): WorkflowHandle<typeof pipelineWorkflow> {
    return this.#client.workflow.getHandle<typeof pipelineWorkflow>(workflowId)
  }

  /** Live step states of a running pipeline. */
  async pipelineStatus(workflowId: string): Promise<Record<string, StepState>> {
    return this.#client.workflow.getHandle(workflowId).query<Record<string, StepState>>('pipelineStatus')
  }

  /** Status of a workflow run by id (e.g. `COMPLETED`, `RUNNING`, `FAILED`). */
  async describe(workflowId: string): Promise<{ status: string; startTime: Date }> {
    const description = await this.#client.workflow.getHandle(workflowId).describe()
    return { status: description.status.name, startTime: description.startTime }
  }
}
