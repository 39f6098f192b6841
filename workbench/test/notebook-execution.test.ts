import { randomUUID } from 'node:crypto'
import type { YCodeCell } from '@jupyter/ydoc'
import type { ICellMetadata } from '@jupyterlab/nbformat'
import { TABLE_MIME_TYPE } from '@workbench/kernels'
import { MysqlKernel } from '@workbench/kernels/mysql'
import { PostgresKernel } from '@workbench/kernels/postgres'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { startJupyterServer, type TestJupyterServer } from '../../kernels/test/support/jupyter-server.ts'
import type { CellRunState } from '../src/kernels/notebook-document.ts'
import { ConnectionUnavailableError } from '../src/kernels/session-manager.ts'
import { connectClient, createNotebookRow, eventually, type TestClient } from './support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'
import { type KernelFixture, startKernelFixture } from './support/kernels.ts'

let jupyter: TestJupyterServer
beforeAll(async () => {
  jupyter = await startJupyterServer()
})
afterAll(async () => {
  await jupyter?.stop()
})

type CellInput = { id: string; cell_type: 'code' | 'markdown'; source: string; metadata?: Partial<ICellMetadata> }
const sql = (id: string, source: string, output?: string, connection = 'duckdb'): CellInput => ({
  id,
  cell_type: 'code',
  source: `%%sql${output ? ` ${output} <<` : ''}\n${source}`,
  metadata: { workbench: { type: 'sql', connection, ...(output ? { output } : {}) } },
})
const py = (id: string, source: string): CellInput => ({ id, cell_type: 'code', source })

function codeCell(client: TestClient, id: string): YCodeCell | undefined {
  return client.notebook.cells.find((c) => c.id === id) as YCodeCell | undefined
}
function runState(client: TestClient, id: string): CellRunState | undefined {
  return client.notebook.ydoc.getMap<CellRunState>('execution').get(id)
}
function text(cell: YCodeCell | undefined): string {
  return (cell?.getOutputs() ?? [])
    .map((o) => (o.output_type === 'stream' ? String(o.text) : JSON.stringify(o.data ?? o.evalue ?? '')))
    .join('')
}

describe.each(DATABASE_KINDS)('server-side notebook execution on %s', (kind) => {
  let database: TestDatabase
  let f: KernelFixture
  const clients: TestClient[] = []
  const executionPath = (notebookId: string) => `/workspaces/${f.workspaceId}/notebooks/${notebookId}/execution`
  const client = (notebookId: string, role: 'editor' | 'viewer' = 'editor') => {
    const c = connectClient(f.notebooksUrl, notebookId, f.tokens[role])
    clients.push(c)
    return c
  }
  /** A notebook with `cells`, written by an editor's client (who then leaves). */
  const notebookWith = async (cells: CellInput[]) => {
    const notebookId = randomUUID()
    await createNotebookRow(database, f.workspaceId, notebookId)
    const author = connectClient(f.notebooksUrl, notebookId, f.tokens.editor)
    await author.synced()
    author.notebook.insertCells(0, cells)
    await (await f.collab.room(notebookId)).flush()
    await eventually(async () => {
      const room = await f.collab.room(notebookId)
      await room.flush()
      expect(room.doc.getArray('cells').length).toBe(cells.length)
    })
    author.destroy()
    return notebookId
  }
  const run = (notebookId: string, cellIds: string[], role: 'editor' | 'viewer' = 'editor') =>
    f.api(role, 'POST', `${executionPath(notebookId)}/run`, { cellIds })

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    // Contract C: connection ids resolve to kernels; here a PostgreSQL connection, `pg`, and a MariaDB one, `my`.
    f = await startKernelFixture(database, jupyter, {}, { unloadDelayMs: 200 }, async (_workspaceId, connectionId) => {
      if (connectionId === 'my') return MysqlKernel.start({ connection: { uri: inject('mariadbUrl') } })
      if (connectionId !== 'pg') throw new ConnectionUnavailableError(connectionId)
      return PostgresKernel.start({ connection: { connectionString: inject('postgresUrl') } })
    })
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
  })
  afterAll(async () => {
    await f?.close()
    await database?.dispose()
  })

  it('writes outputs, execution counts and run state into the shared document, where they outlive every client', async () => {
    const notebookId = await notebookWith([
      sql('q', 'SELECT i, i * 2 AS j FROM range(1000) t(i)', 'df'),
      py('use', 'print(int(df.j.sum()))\ndf.shape'),
      { id: 'notes', cell_type: 'markdown', source: '# not run' },
      py('slow', "import time\nfor i in range(3):\n    print('tick', i, flush=True)\n    time.sleep(0.7)"),
    ])
    const watcher = client(notebookId, 'viewer')
    await watcher.synced()
    const statuses: unknown[] = []
    watcher.notebook.ydoc
      .getMap('kernel')
      .observe(() => statuses.push(watcher.notebook.ydoc.getMap('kernel').get('status')))
    const queued = await run(notebookId, ['q', 'use', 'notes', 'slow'])
    expect(queued).toMatchObject({ status: 202, body: { queued: ['q', 'use', 'slow'] } })

    // Outputs stream in: the first tick is visible while the cell is still running.
    await eventually(() => {
      expect(runState(watcher, 'slow')?.state).toBe('running')
      expect(text(codeCell(watcher, 'slow'))).toContain('tick 0')
    }, 60_000)
    await eventually(() => expect(runState(watcher, 'slow')?.state).toBe('ok'), 60_000)
    await eventually(() => expect(watcher.notebook.ydoc.getMap('kernel').get('status')).toBe('idle'))
    // The kernels' first start is visible (the SQL cell's hand-over to `df` starts Python too), then the
    // notebook is busy until the queue is done.
    expect(statuses.filter((s, i) => s !== statuses[i - 1])).toEqual(['busy', 'starting', 'busy', 'idle'])

    const table = codeCell(watcher, 'q')?.getOutputs()[0]?.data as Record<string, any>
    expect(table[TABLE_MIME_TYPE]).toMatchObject({ totalRows: 1000, columns: [{ name: 'i' }, { name: 'j' }] })
    expect(text(codeCell(watcher, 'use'))).toContain('999000')
    expect(text(codeCell(watcher, 'use'))).toContain('(1000, 2)')
    expect(text(codeCell(watcher, 'slow'))).toBe('tick 0\ntick 1\ntick 2\n')
    expect(['q', 'use', 'slow'].map((id) => codeCell(watcher, id)?.execution_count)).toEqual([1, 2, 3])
    const states = ['q', 'use', 'slow'].map((id) => runState(watcher, id))
    for (const s of states) {
      expect(s).toMatchObject({ state: 'ok', by: f.editorId })
      expect(s?.finishedAt).toBeGreaterThanOrEqual(s?.startedAt ?? Number.POSITIVE_INFINITY)
    }
    expect(runState(watcher, 'notes')).toBeUndefined()
    expect(await f.api('viewer', 'GET', executionPath(notebookId))).toMatchObject({
      status: 200,
      body: { kernel: 'idle', queue: [] },
    })

    // Everyone leaves; the document is unloaded, then opened again from storage.
    for (const c of clients.splice(0)) c.destroy()
    await eventually(() => expect(f.collab.loadedDocuments).not.toContain(notebookId))
    const later = client(notebookId)
    await later.synced()
    expect(text(codeCell(later, 'use'))).toContain('999000')
    expect(codeCell(later, 'slow')?.execution_count).toBe(3)
    expect(runState(later, 'slow')?.state).toBe('ok')
  })

  it('stops a run at a failing cell, like Jupyter; SQL errors carry the line and column of the cell', async () => {
    const notebookId = await notebookWith([
      py('a', 'x = 1'),
      sql('bad', 'SELECT *\nFROM range(3) t\nWHERE i = FROM x'),
      py('never', "print('never')"),
    ])
    const watcher = client(notebookId, 'viewer')
    await watcher.synced()
    await run(notebookId, ['a', 'bad', 'never'])
    await eventually(() => expect(runState(watcher, 'bad')?.state).toBe('error'), 60_000)
    await eventually(() =>
      expect(f.api('viewer', 'GET', executionPath(notebookId))).resolves.toMatchObject({ body: { kernel: 'idle' } }),
    )
    const error = codeCell(watcher, 'bad')?.getOutputs()[0]
    expect(error).toMatchObject({ output_type: 'error', ename: 'ParserError' })
    // Line 1 of the cell is the %%sql magic.
    expect(String(error?.evalue)).toMatch(/syntax error at or near "FROM" \(line 4, column 11\)/)
    expect(runState(watcher, 'a')?.state).toBe('ok')
    expect(runState(watcher, 'never')).toBeUndefined()
    expect(codeCell(watcher, 'never')?.getOutputs()).toEqual([])
  })

  it('skips a cell deleted while queued, and interrupts a long Python cell', async () => {
    const notebookId = await notebookWith([
      py('long', "import time\nprint('go', flush=True)\ntime.sleep(120)"),
      py('doomed', "print('doomed')"),
      py('after', "print('after')"),
    ])
    const editor = client(notebookId)
    await editor.synced()
    await run(notebookId, ['long'])
    await run(notebookId, ['doomed'])
    await run(notebookId, ['after'])
    await eventually(() => expect(text(codeCell(editor, 'long'))).toContain('go'), 60_000)
    expect(await f.api('viewer', 'GET', executionPath(notebookId))).toMatchObject({
      body: { kernel: 'busy', queue: ['doomed', 'after'] },
    })
    expect(runState(editor, 'doomed')?.state).toBe('queued')
    editor.notebook.deleteCell(1)
    await eventually(async () => {
      const room = await f.collab.room(notebookId)
      expect(room.doc.getArray('cells').length).toBe(2)
    })
    expect((await f.api('editor', 'POST', `${executionPath(notebookId)}/interrupt`)).status).toBe(204)
    await eventually(() => expect(runState(editor, 'after')?.state).toBe('ok'), 60_000)
    expect(runState(editor, 'long')?.state).toBe('interrupted')
    expect(codeCell(editor, 'long')?.getOutputs().at(-1)).toMatchObject({ ename: 'KeyboardInterrupt' })
    expect(runState(editor, 'doomed')).toBeUndefined()
    expect(text(codeCell(editor, 'after'))).toBe('after\n')
  })

  it('runs SQL cells on workspace connections, whose results page like DuckDB ones; unknown connections are an error output', async () => {
    const notebookId = await notebookWith([
      sql('remote', 'SELECT n, n * 2 AS twice FROM generate_series(1, 2500) AS s(n)', undefined, 'pg'),
      sql('missing', 'SELECT 1', undefined, 'nope'),
    ])
    const watcher = client(notebookId, 'viewer')
    await watcher.synced()
    await run(notebookId, ['remote'])
    await run(notebookId, ['missing'])
    await eventually(() => expect(runState(watcher, 'missing')?.state).toBe('error'), 60_000)
    expect(runState(watcher, 'remote')?.state).toBe('ok')
    const data = codeCell(watcher, 'remote')?.getOutputs()[0]?.data as Record<string, any> | undefined
    const table = data?.[TABLE_MIME_TYPE]
    expect(table).toMatchObject({ totalRows: 2500 })
    expect(table.resultId).toMatch(/^c:pg:/)
    const { sessionId } = (await f.api('viewer', 'GET', executionPath(notebookId))).body
    const page = await f.api(
      'viewer',
      'POST',
      `/workspaces/${f.workspaceId}/kernels/sessions/${sessionId}/results/${encodeURIComponent(table.resultId)}/page`,
      { offset: 2498, limit: 10 },
    )
    expect(page).toMatchObject({
      status: 200,
      body: {
        totalRows: 2500,
        rows: [
          [2499, 4998],
          [2500, 5000],
        ],
      },
    })
    expect(codeCell(watcher, 'missing')?.getOutputs()[0]).toMatchObject({ ename: 'ConnectionNotFound' })
    expect(codeCell(watcher, 'missing')?.execution_count).toBe(2)
  }, 180_000)

  it('exports PostgreSQL and MySQL results as CSV, streamed through their cursor; Parquet is refused clearly', async () => {
    const notebookId = await notebookWith([
      sql('pg-rows', "SELECT n, 'row ' || n AS label FROM generate_series(1, 2500) AS s(n)", undefined, 'pg'),
      sql('my-rows', "SELECT seq AS n, CONCAT('row, ', seq) AS label FROM seq_1_to_2500", undefined, 'my'),
    ])
    const watcher = client(notebookId, 'viewer')
    await watcher.synced()
    await run(notebookId, ['pg-rows', 'my-rows'])
    await eventually(() => expect(runState(watcher, 'my-rows')?.state).toBeDefined(), 60_000)
    await eventually(() => expect(['ok', 'error']).toContain(runState(watcher, 'my-rows')?.state), 60_000)
    const { sessionId } = (await f.api('viewer', 'GET', executionPath(notebookId))).body
    for (const [cellId, quote] of [
      ['pg-rows', ''],
      ['my-rows', '"'],
    ] as const) {
      expect(runState(watcher, cellId)?.state).toBe('ok')
      const data = codeCell(watcher, cellId)?.getOutputs()[0]?.data as Record<string, any> | undefined
      const table = data?.[TABLE_MIME_TYPE]
      expect(table).toMatchObject({ totalRows: 2500 })
      expect(table.resultId).toMatch(/^c:(pg|my):/)
      const path = `/workspaces/${f.workspaceId}/kernels/sessions/${sessionId}/results/${encodeURIComponent(table.resultId)}/export`
      const csv = await f.api('viewer', 'GET', `${path}?format=csv`)
      expect(csv.status).toBe(200)
      const lines = String(csv.body).trimEnd().split('\r\n')
      expect(lines).toHaveLength(2501)
      expect(lines[0]).toBe('n,label')
      const comma = quote ? ', ' : ' '
      expect(lines[1]).toBe(`1,${quote}row${comma}1${quote}`)
      expect(lines[2500]).toBe(`2500,${quote}row${comma}2500${quote}`)
      const parquet = await f.api('viewer', 'GET', `${path}?format=parquet`)
      expect([parquet.status, parquet.body.code]).toEqual([400, 'export_csv_only'])
    }
    // A result the session no longer keeps is a 404, not a broken download.
    const gone = await f.api(
      'viewer',
      'GET',
      `/workspaces/${f.workspaceId}/kernels/sessions/${sessionId}/results/${encodeURIComponent('c:pg:c999')}/export`,
    )
    expect([gone.status, gone.body.code]).toEqual([404, 'result_not_found'])
  }, 180_000)

  it('restart drops the queue and the kernel state; the notebook runs again afterwards', async () => {
    const notebookId = await notebookWith([
      py('set', 'x = 41'),
      py('long', "import time\nprint('go', flush=True)\ntime.sleep(120)"),
      py('queued', "print('queued')"),
      py('use', 'print(x + 1)'),
    ])
    const watcher = client(notebookId, 'viewer')
    await watcher.synced()
    await run(notebookId, ['set'])
    await run(notebookId, ['long'])
    await run(notebookId, ['queued'])
    await eventually(() => expect(text(codeCell(watcher, 'long'))).toContain('go'), 60_000)
    expect((await f.api('editor', 'POST', `${executionPath(notebookId)}/restart`)).status).toBe(204)
    await eventually(() => expect(runState(watcher, 'long')?.state).toBe('interrupted'), 60_000)
    expect(runState(watcher, 'queued')).toBeUndefined()
    expect(runState(watcher, 'set')?.state).toBe('ok')
    await run(notebookId, ['use'])
    await eventually(() => expect(runState(watcher, 'use')?.state).toBe('error'), 60_000)
    expect(codeCell(watcher, 'use')?.getOutputs()[0]).toMatchObject({ ename: 'NameError' })
    await eventually(() => expect(watcher.notebook.ydoc.getMap('kernel').get('status')).toBe('idle'))
  })

  it('shows a kernel that died mid-cell as dead to everyone; restart recovers it', async () => {
    const notebookId = await notebookWith([py('die', 'import os\nos._exit(1)'), py('again', 'print(6 * 7)')])
    const watcher = client(notebookId, 'viewer')
    await watcher.synced()
    await run(notebookId, ['die'])
    await eventually(() => expect(runState(watcher, 'die')?.state).toBe('error'), 60_000)
    await eventually(() => expect(watcher.notebook.ydoc.getMap('kernel').get('status')).toBe('dead'))
    expect((await f.api('viewer', 'GET', executionPath(notebookId))).body.kernel).toBe('dead')
    expect((await f.api('editor', 'POST', `${executionPath(notebookId)}/restart`)).status).toBe(204)
    await run(notebookId, ['again'])
    await eventually(() => expect(runState(watcher, 'again')?.state).toBe('ok'), 60_000)
    expect(text(codeCell(watcher, 'again'))).toBe('42\n')
    await eventually(() => expect(watcher.notebook.ydoc.getMap('kernel').get('status')).toBe('idle'))
  })

  it('lets viewers watch but not run; outsiders and unknown notebooks get 404', async () => {
    const notebookId = await notebookWith([py('a', '1')])
    expect(await run(notebookId, ['a'], 'viewer')).toMatchObject({ status: 403, body: { code: 'role_insufficient' } })
    expect((await f.api('viewer', 'POST', `${executionPath(notebookId)}/interrupt`)).status).toBe(403)
    expect((await f.api('viewer', 'POST', `${executionPath(notebookId)}/restart`)).status).toBe(403)
    expect(await f.api('viewer', 'GET', executionPath(notebookId))).toMatchObject({
      status: 200,
      body: { sessionId: null, kernel: 'none', queue: [] },
    })
    expect(await f.api('outsider', 'GET', executionPath(notebookId))).toMatchObject({
      status: 404,
      body: { code: 'workspace_not_found' },
    })
    expect(await run(randomUUID(), ['a'])).toMatchObject({ status: 404, body: { code: 'notebook_not_found' } })
    expect(await f.api('editor', 'POST', `${executionPath(notebookId)}/run`, { cellIds: [] })).toMatchObject({
      status: 400,
    })
  })

  it("completes and documents Python from the notebook's kernel (editors only, as running); internal names never offered", async () => {
    const notebookId = await notebookWith([py('defs', 'import math\nanswer_value = 41\n__wb_helper = 1')])
    const complete = (code: string, role: 'editor' | 'viewer' = 'editor') =>
      f.api(role, 'POST', `${executionPath(notebookId)}/complete`, { code, cursor: code.length })
    // No kernel yet: nothing offered (and none started for a keystroke).
    expect(await complete('answer_va')).toMatchObject({ status: 200, body: { matches: [] } })
    const watcher = client(notebookId, 'viewer')
    await watcher.synced()
    await run(notebookId, ['defs'])
    await eventually(() => expect(runState(watcher, 'defs')?.state).toBe('ok'), 60_000)
    expect(await complete('answer_va')).toMatchObject({
      status: 200,
      body: { matches: ['answer_value'], cursorStart: 0, cursorEnd: 9 },
    })
    const internal = await complete('__w')
    expect((internal.body as { matches: string[] }).matches.filter((m) => m.startsWith('__wb'))).toEqual([])
    const inspected = await f.api('editor', 'POST', `${executionPath(notebookId)}/inspect`, {
      code: 'math.factorial',
      cursor: 14,
    })
    expect(inspected).toMatchObject({ status: 200, body: { found: true } })
    expect(String((inspected.body as { text: string }).text)).toMatch(/factorial/)
    expect(await complete('answer_va', 'viewer')).toMatchObject({ status: 403, body: { code: 'role_insufficient' } })
    expect(
      (await f.api('viewer', 'POST', `${executionPath(notebookId)}/inspect`, { code: 'x', cursor: 1 })).status,
    ).toBe(403)
    expect(
      await f.api('editor', 'POST', `${executionPath(notebookId)}/complete`, { code: 'abc', cursor: 99 }),
    ).toMatchObject({ status: 400 })
    expect(
      await f.api('outsider', 'POST', `${executionPath(notebookId)}/complete`, { code: '', cursor: 0 }),
    ).toMatchObject({ status: 404 })
  }, 120_000)

  it('100 concurrent cell runs across 10 notebooks all complete, each notebook one cell at a time in queue order', async () => {
    const notebooks = await Promise.all(
      Array.from({ length: 10 }, () =>
        notebookWith(
          Array.from({ length: 10 }, (_, i) => sql(`c${i}`, `SELECT ${i} AS v, sum(x) FROM range(100000) t(x)`)),
        ),
      ),
    )
    const answers = await Promise.all(
      notebooks.flatMap((nb) => Array.from({ length: 10 }, (_, i) => run(nb, [`c${i}`]))),
    )
    expect(answers.every((a) => a.status === 202 && a.body.queued.length === 1)).toBe(true)
    for (const nb of notebooks) {
      await eventually(async () => {
        const room = await f.collab.room(nb)
        const states = [...room.doc.getMap<CellRunState>('execution').values()]
        expect(states.filter((s) => s.state === 'ok')).toHaveLength(10)
      }, 120_000)
      const room = await f.collab.room(nb)
      const cells = room.doc.getArray<any>('cells').toArray()
      const runs = cells
        .map((cell) => ({
          count: cell.get('execution_count') as number,
          state: room.doc.getMap<CellRunState>('execution').get(cell.get('id')) as CellRunState,
          value: cell.get('outputs').get(0).get('data')[TABLE_MIME_TYPE].rows[0][0],
        }))
        .sort((a, b) => a.count - b.count)
      expect(runs.map((r) => r.count)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      // One at a time, in execution-count order (= queue order): each starts after the previous finished.
      for (let i = 1; i < runs.length; i++)
        expect(runs[i]?.state.startedAt).toBeGreaterThanOrEqual(runs[i - 1]?.state.finishedAt ?? Infinity)
      expect(new Set(runs.map((r) => r.value)).size).toBe(10)
    }
  })
})
