import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DuckdbDatabase, DuckdbKernel } from '@workbench/kernels'
import { JupyterKernel } from '@workbench/kernels/jupyter'
import { NotebookSession } from '@workbench/kernels/session'
import { startJupyterServer, type TestJupyterServer } from '../../../kernels/test/support/jupyter-server.ts'
import type { KernelStepDeps } from '../../src/activities/index.ts'
import type { NotebookModel } from '../../src/spec/index.ts'

/**
 * Real kernels for `notebook` and `python` steps, wired as the workbench wires them: a workspace DuckDB
 * file in a temp data folder, a Jupyter Server from the project venv, a fresh NotebookSession per step
 * attempt, notebooks from an in-memory map (`notebooks[id]`, or `notebooks['id@version']` when pinned).
 */
export async function startKernelSteps() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pipeline-kernels-'))
  const database = await DuckdbDatabase.open({ path: path.join(dataDir, 'workspace.duckdb'), dataDir })
  const jupyter: TestJupyterServer = await startJupyterServer()
  const notebooks = new Map<string, NotebookModel>()
  const sessions: NotebookSession[] = []
  const deps: KernelStepDeps = {
    async openSession(_input, options) {
      const session = new NotebookSession({
        startSql: (resolveMissingTable) => DuckdbKernel.start({ database, resolveMissingTable }),
        startPython: () =>
          JupyterKernel.start({
            baseUrl: jupyter.baseUrl,
            token: jupyter.token,
            ...(options.kernelName ? { kernelName: options.kernelName } : {}),
          }),
        exchangeDir: path.join(dataDir, '.exchange'),
      })
      sessions.push(session)
      return session
    },
    async loadNotebook(ref) {
      const key = ref.version !== undefined ? `${ref.notebook}@${ref.version}` : ref.notebook
      const notebook = notebooks.get(key) ?? notebooks.get(ref.notebook)
      if (!notebook) throw new Error(`no notebook ${key}`)
      return notebook
    },
    artifactDir: (input) => path.join(dataDir, 'pipeline-artifacts', input.pipeline),
  }
  return {
    deps,
    database,
    dataDir,
    notebooks,
    jupyter,
    /** Kernels started by steps (every one must have been shut down by its step). */
    sessions,
    async stop() {
      await Promise.all(sessions.map((s) => s.shutdown().catch(() => {})))
      database.close()
      await jupyter.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export type KernelSteps = Awaited<ReturnType<typeof startKernelSteps>>

let counter = 0
/** Notebook-building helpers for tests. */
export const cells = {
  sql: (text: string, output?: string, tags?: string[]) => ({
    id: `sql-${++counter}`,
    cell_type: 'code' as const,
    source: `%%sql\n${text}`,
    metadata: {
      workbench: { type: 'sql', connection: 'duckdb', ...(output ? { output } : {}) },
      ...(tags ? { tags } : {}),
    },
    outputs: [],
    execution_count: null,
  }),
  py: (text: string, tags?: string[]) => ({
    id: `py-${++counter}`,
    cell_type: 'code' as const,
    source: text,
    metadata: tags ? { tags } : {},
    outputs: [],
    execution_count: null,
  }),
  md: (text: string) => ({ id: `md-${++counter}`, cell_type: 'markdown' as const, source: text, metadata: {} }),
}

export function notebookOf(...list: NotebookModel['cells']): NotebookModel {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: list,
  }
}
