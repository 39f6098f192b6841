import path from 'node:path'
import type { INotebookContent } from '@jupyterlab/nbformat'
import { DuckdbKernel } from '@workbench/kernels'
import { JupyterKernel } from '@workbench/kernels/jupyter'
import { NotebookSession } from '@workbench/kernels/session'
import type { KernelStepDeps, StepInput } from '@workbench/orchestrator/activities'
import type { NotebookModel } from '@workbench/orchestrator/spec'
import type { WorkspaceDuckdb } from '../kernels/workspace-databases.ts'
import { workspaceKernel } from '../kernels/workspace-kernel.ts'
import type { NotebookService } from '../notebooks/notebook-service.ts'
import { notebookAtSeq } from './notebook-source.ts'
import { ARTIFACTS_FOLDER } from './run-artifacts.ts'

export interface KernelStepDepsOptions {
  workspaceDuckdb: WorkspaceDuckdb
  /** `<DATA_DIR>/workspaces/<workspaceId>/data`: artifacts and Parquet hand-over files go inside it. */
  dataDirOf: (workspaceId: string) => string
  /** The Jupyter Server (embedded or remote); undefined while it starts. */
  jupyter: () => { baseUrl: string; token: string } | undefined
  notebooks: () => NotebookService | undefined
  /** The workspace a step runs in (pipelines-runs knows it: e.g. from the run's input). */
  workspaceOf: (input: StepInput) => string
  /** A saved notebook version; without it, version pins fail with a clear error. */
  loadVersion?: (workspaceId: string, notebookId: string, versionId: string) => Promise<INotebookContent>
}

/**
 * What the worker's `notebook` and `python` steps need, from the workbench's own services: a fresh
 * NotebookSession per attempt (workspace DuckDB + a new Jupyter kernel), notebooks at their pin, and an
 * artifact folder under the workspace data folder.
 *
 * @example
 * createActivities({ workerIdentity, kernels: kernelStepDeps({ workspaceDuckdb, dataDirOf, jupyter, notebooks, workspaceOf }) })
 */
export function kernelStepDeps(options: KernelStepDepsOptions): KernelStepDeps {
  const notebooks = () => {
    const service = options.notebooks()
    if (!service) throw new Error('notebooks are not available yet')
    return service
  }
  return {
    async openSession(input, { kernelName }) {
      const workspaceId = options.workspaceOf(input)
      const database = await options.workspaceDuckdb(workspaceId)
      return new NotebookSession({
        startSql: (resolveMissingTable) => DuckdbKernel.start({ database, resolveMissingTable }),
        startPython: () => {
          const server = options.jupyter()
          if (!server) return Promise.reject(new Error('the Jupyter Server is not running'))
          return JupyterKernel.start({
            ...server,
            ...(kernelName ? { kernelName } : {}),
            ...workspaceKernel(workspaceId, options.dataDirOf(workspaceId)),
          })
        },
        exchangeDir: path.join(options.dataDirOf(workspaceId), '.exchange'),
      })
    },
    async loadNotebook(ref, input) {
      const workspaceId = options.workspaceOf(input)
      const service = notebooks()
      let content: INotebookContent
      if (ref.version !== undefined) {
        if (!options.loadVersion) throw new Error('notebook versions are not available in this workbench')
        await service.getOrThrow(workspaceId, ref.notebook)
        content = await options.loadVersion(workspaceId, ref.notebook, String(ref.version))
      } else if (ref.seq !== undefined) {
        await service.getOrThrow(workspaceId, ref.notebook)
        content = await notebookAtSeq(service.store, ref.notebook, ref.seq)
      } else content = await service.content(workspaceId, ref.notebook)
      return content as unknown as NotebookModel
    },
    artifactDir: (input) => stepArtifactDir(options.dataDirOf(options.workspaceOf(input)), input),
  }
}

/** The workspace of a step of a reported run (the pipelines API always reports); other steps cannot run here. */
export function stepWorkspace(input: StepInput): string {
  if (input.workspaceId) return input.workspaceId
  throw Object.assign(new Error('the step has no workspace (run it through the pipelines API)'), { status: 400 })
}

/** The folder of a workspace's data folder where its pipeline's steps save artifacts. */
export function stepArtifactDir(workspaceDataDir: string, input: StepInput): string {
  return path.join(workspaceDataDir, ARTIFACTS_FOLDER, safeName(input.pipeline))
}

function safeName(name: string): string {
  return name.replace(/[^\w.-]/g, '_') || 'pipeline'
}
