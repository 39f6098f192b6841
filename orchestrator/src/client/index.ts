import { Client, type Connection } from '@temporalio/client'
import type { smokeWorkflow } from '../workflows/smoke.ts'

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

  /** Status of a workflow run by id (e.g. `COMPLETED`, `RUNNING`, `FAILED`). */
  async describe(workflowId: string): Promise<{ status: string; startTime: Date }> {
    const description = await this.#client.workflow.getHandle(workflowId).describe()
    return { status: description.status.name, startTime: description.startTime }
  }
}
