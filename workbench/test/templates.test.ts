import type { YCodeCell } from '@jupyter/ydoc'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startJupyterServer, type TestJupyterServer } from '../../kernels/test/support/jupyter-server.ts'
import type { CellRunState } from '../src/kernels/notebook-document.ts'
import { NOTEBOOK_TEMPLATES } from '../src/notebooks/templates.ts'
import { connectClient, eventually } from './support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'
import { type KernelFixture, startKernelFixture } from './support/kernels.ts'

let jupyter: TestJupyterServer
beforeAll(async () => {
  jupyter = await startJupyterServer()
})
afterAll(async () => {
  await jupyter?.stop()
})

/** Every built-in template, created through the API and run as created on the real kernels (DuckDB + Jupyter). */
describe.each(DATABASE_KINDS)('notebook templates on %s', (kind) => {
  let database: TestDatabase
  let f: KernelFixture

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    f = await startKernelFixture(database, jupyter)
  })
  afterAll(async () => {
    await f?.close()
    await database?.dispose()
  })

  it.each(NOTEBOOK_TEMPLATES.map((t) => [t.id, t] as const))(
    '%s runs all its cells without an error',
    { timeout: 180_000 },
    async (_id, template) => {
      const created = await f.api('editor', 'POST', `/workspaces/${f.workspaceId}/notebooks`, {
        name: template.name,
        template: template.id,
      })
      expect(created.status).toBe(201)
      const notebookId: string = created.body.id
      const codeCells = template.notebook.cells.filter((c) => c.cell_type === 'code').map((c) => c.id as string)
      const run = await f.api('editor', 'POST', `/workspaces/${f.workspaceId}/notebooks/${notebookId}/execution/run`, {
        cellIds: codeCells,
      })
      expect(run).toMatchObject({ status: 202, body: { queued: codeCells } })

      const watcher = connectClient(f.notebooksUrl, notebookId, f.tokens.viewer)
      try {
        await watcher.synced()
        const state = (id: string) => watcher.notebook.ydoc.getMap<CellRunState>('execution').get(id)?.state
        // Run all stops at a failing cell, so every cell finishing is the whole notebook having run.
        await eventually(() => {
          const states = codeCells.map(state)
          if (states.includes('error')) return
          expect(states.every((s) => s === 'ok')).toBe(true)
        }, 150_000)
        const outputs = codeCells.map((id) => {
          const cell = watcher.notebook.cells.find((c) => c.id === id) as YCodeCell | undefined
          return { id, state: state(id), errors: (cell?.getOutputs() ?? []).filter((o) => o.output_type === 'error') }
        })
        expect(outputs).toEqual(codeCells.map((id) => ({ id, state: 'ok', errors: [] })))
        // The notebook ends on a result (a DDL cell in between may show nothing).
        const last = watcher.notebook.cells.find((c) => c.id === codeCells.at(-1)) as YCodeCell | undefined
        expect(last?.getOutputs().length).toBeGreaterThan(0)
      } finally {
        watcher.destroy()
      }
    },
  )
})
