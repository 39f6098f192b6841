import { randomUUID } from 'node:crypto'
import { type ServerMessage, TABLE_MIME_TYPE, type TableData } from '@workbench/kernels'
import { STDIN_NOT_SUPPORTED } from '@workbench/kernels/jupyter'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { startJupyterServer, type TestJupyterServer } from '../../kernels/test/support/jupyter-server.ts'
import { createNotebookRow } from './support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'
import { type KernelFixture, type Role, startKernelFixture } from './support/kernels.ts'

let jupyter: TestJupyterServer
beforeAll(async () => {
  jupyter = await startJupyterServer()
})
afterAll(async () => {
  await jupyter?.stop()
})

/** A websocket client collecting server messages; `until` waits for a message matching a predicate. */
async function connect(ws: WebSocket) {
  const messages: ServerMessage[] = []
  const waiters: (() => void)[] = []
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)))
    for (const w of waiters.splice(0)) w()
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const until = async (predicate: (all: ServerMessage[]) => boolean) => {
    while (!predicate(messages)) await new Promise<void>((resolve) => waiters.push(resolve))
  }
  return { ws, messages, until, send: (message: unknown) => ws.send(JSON.stringify(message)) }
}

const outputsOf = (messages: ServerMessage[], requestId: string) =>
  messages.flatMap((m) => (m.type === 'output' && m.requestId === requestId ? [m.output] : []))

/** The HTTP status a websocket upgrade is answered with (101 when it upgrades). */
function upgradeStatus(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('open', () => {
      resolve(101)
      ws.close()
    })
  })
}

describe.each(DATABASE_KINDS)('kernel execution API on %s', (kind) => {
  let database: TestDatabase
  let f: KernelFixture
  const sessionsPath = () => `/workspaces/${f.workspaceId}/kernels/sessions`

  const newSession = async (role: Role = 'editor') => {
    const notebookId = randomUUID()
    await createNotebookRow(database, f.workspaceId, notebookId)
    const res = await f.api(role, 'POST', sessionsPath(), { notebookId })
    expect(res.status).toBe(201)
    return res.body.id as string
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    f = await startKernelFixture(database, jupyter, { duckdbMemoryLimit: '256MB', maxCellOutputBytes: 65_536 })
  })
  afterAll(async () => {
    await f?.close()
    await database?.dispose()
  })

  it('runs SQL, pages the kept result, and exports it whole as CSV and Parquet', async () => {
    const id = await newSession()
    const run = await f.api('editor', 'POST', `${sessionsPath()}/${id}/execute`, {
      language: 'sql',
      code: 'SELECT i, i % 3 AS m FROM range(5000) t(i)',
    })
    expect(run.status).toBe(200)
    expect(run.body.executionCount).toBe(1)
    const table = run.body.outputs[0].data[TABLE_MIME_TYPE] as TableData
    expect(table).toMatchObject({ totalRows: 5000 })
    expect(table.rows).toHaveLength(1000)
    const resultPath = `${sessionsPath()}/${id}/results/${table.resultId}`
    const page = await f.api('editor', 'POST', `${resultPath}/page`, {
      offset: 10,
      limit: 2,
      filter: [{ column: 'm', op: '=', value: 0 }],
      sort: [{ column: 'i', descending: true }],
    })
    expect(page).toMatchObject({
      status: 200,
      body: {
        totalRows: 1667,
        offset: 10,
        rows: [
          ['4968', '0'],
          ['4965', '0'],
        ],
      },
    })
    expect(await f.api('editor', 'POST', `${resultPath}/page`, { sort: [{ column: 'nope' }] })).toMatchObject({
      status: 400,
      body: { code: 'invalid_page_request' },
    })
    expect(await f.api('editor', 'POST', `${sessionsPath()}/${id}/results/r999/page`, {})).toMatchObject({
      status: 404,
      body: { code: 'result_not_found' },
    })

    const csv = await f.api('viewer', 'GET', `${resultPath}/export?format=csv`)
    expect(csv.status).toBe(200)
    const lines = String(csv.body).trim().split('\n')
    expect(lines[0]).toBe('i,m')
    expect(lines).toHaveLength(5001)
    expect(lines[4999]).toBe('4998,0')
    const parquet = await fetch(`${f.baseUrl}/api${resultPath}/export?format=parquet`, {
      headers: { authorization: `Bearer ${f.tokens.viewer}` },
    })
    expect(parquet.headers.get('content-type')).toBe('application/vnd.apache.parquet')
    const bytes = Buffer.from(await parquet.arrayBuffer())
    expect([bytes.subarray(0, 4).toString(), bytes.subarray(-4).toString()]).toEqual(['PAR1', 'PAR1'])
    // Read back by the same workspace database: the whole result, not a page.
    const check = await f.api('editor', 'POST', `${sessionsPath()}/${id}/execute`, {
      language: 'python',
      code: `import io, pandas as pd\nprint(len(pd.read_parquet(io.BytesIO(bytes.fromhex(${JSON.stringify(bytes.toString('hex'))})))))`,
    })
    expect(check.body.outputs.map((o: { text?: string }) => o.text).join('')).toContain('5000')
  })

  it('lets a viewer look and page but not run; an outsider sees nothing', async () => {
    const id = await newSession()
    const run = await f.api('editor', 'POST', `${sessionsPath()}/${id}/execute`, {
      language: 'sql',
      code: 'SELECT 42 AS answer',
    })
    const { resultId } = run.body.outputs[0].data[TABLE_MIME_TYPE] as TableData
    const execute = { language: 'sql', code: 'SELECT 1' }
    expect((await f.api('viewer', 'POST', `${sessionsPath()}/${id}/execute`, execute)).body.code).toBe(
      'role_insufficient',
    )
    expect((await f.api('viewer', 'POST', `${sessionsPath()}/${id}/execute`, execute)).status).toBe(403)
    expect((await f.api('viewer', 'POST', `${sessionsPath()}/${id}/interrupt`)).status).toBe(403)
    expect((await f.api('viewer', 'POST', `${sessionsPath()}/${id}/restart`)).status).toBe(403)
    expect((await f.api('viewer', 'POST', sessionsPath(), { notebookId: 'x' })).status).toBe(403)
    expect(await f.api('viewer', 'POST', `${sessionsPath()}/${id}/results/${resultId}/page`, {})).toMatchObject({
      status: 200,
      body: { rows: [[42]] },
    })
    expect((await f.api('viewer', 'GET', sessionsPath())).body.map((s: { id: string }) => s.id)).toContain(id)
    expect(await f.api('viewer', 'GET', `${sessionsPath()}/${id}`)).toMatchObject({
      status: 200,
      body: { id, idle: true, kernels: { sql: 'idle' } },
    })
    expect(await upgradeStatus(f.websocket('viewer', `${sessionsPath()}/${id}/ws`))).toBe(403)

    for (const [method, path] of [
      ['GET', `${sessionsPath()}/${id}`],
      ['POST', `${sessionsPath()}/${id}/execute`],
      ['POST', `${sessionsPath()}/${id}/results/${resultId}/page`],
    ] as const) {
      const res = await f.api('outsider', method, path, method === 'POST' ? execute : undefined)
      expect([res.status, res.body.code]).toEqual([404, 'workspace_not_found'])
    }
    expect(await upgradeStatus(f.websocket('outsider', `${sessionsPath()}/${id}/ws`))).toBe(404)
    // A session id is only found within its workspace.
    expect(await f.api('editor', 'GET', `/workspaces/${randomUUID()}/kernels/sessions/${id}`)).toMatchObject({
      status: 404,
    })
    expect(await f.api('editor', 'GET', `${sessionsPath()}/${randomUUID()}`)).toMatchObject({
      status: 404,
      body: { code: 'kernel_session_not_found' },
    })
    expect(await f.api('editor', 'POST', sessionsPath(), { notebookId: randomUUID() })).toMatchObject({
      status: 404,
      body: { code: 'notebook_not_found' },
    })
  })

  it('answers SQL errors with line and column; a query over the memory limit fails cleanly and the session goes on', async () => {
    const id = await newSession()
    const exec = (code: string) =>
      f.api('editor', 'POST', `${sessionsPath()}/${id}/execute`, { language: 'sql', code }).then((r) => r.body)
    const syntax = await exec('SELECT 1;\nSELECT *\nFROM range(3) t\nWHERE i = FROM x')
    expect(syntax.outputs.at(-1)).toMatchObject({ output_type: 'error', ename: 'ParserError' })
    expect(syntax.outputs.at(-1).evalue).toMatch(/syntax error at or near "FROM" \(line 4, column 11\)/)
    const big = await exec("SELECT list(repeat('x', 100) || i) FROM range(20000000) t(i)")
    expect(big.outputs[0]).toMatchObject({ output_type: 'error', ename: 'OutOfMemoryError' })
    expect((await exec('SELECT 42 AS a')).outputs[0].data[TABLE_MIME_TYPE].rows).toEqual([[42]])
  })

  it('streams over the websocket: Python outputs, interrupt of a long cell, input() refused, truncation', async () => {
    const id = await newSession()
    const client = await connect(f.websocket('editor', `${sessionsPath()}/${id}/ws`))
    client.send({
      type: 'execute',
      requestId: 'a',
      language: 'python',
      code: "import time\nprint('started', flush=True)\ntime.sleep(60)",
    })
    await client.until((all) => outputsOf(all, 'a').length > 0)
    expect(outputsOf(client.messages, 'a')[0]).toMatchObject({ output_type: 'stream', text: 'started\n' })
    client.send({ type: 'interrupt' })
    await client.until((all) => all.some((m) => m.type === 'done' && m.requestId === 'a'))
    expect(outputsOf(client.messages, 'a').at(-1)).toMatchObject({ output_type: 'error', ename: 'KeyboardInterrupt' })
    client.send({ type: 'execute', requestId: 'b', language: 'python', code: 'input()' })
    await client.until((all) => all.some((m) => m.type === 'done' && m.requestId === 'b'))
    expect(outputsOf(client.messages, 'b')[0]).toMatchObject({ evalue: STDIN_NOT_SUPPORTED })
    client.send({ type: 'execute', requestId: 'c', language: 'python', code: "print('x' * 1_000_000)" })
    await client.until((all) => all.some((m) => m.type === 'done' && m.requestId === 'c'))
    expect(JSON.stringify(outputsOf(client.messages, 'c'))).toMatch(/Output truncated/)
    client.send('not json')
    await client.until((all) => all.some((m) => m.type === 'error'))
    expect(client.messages.find((m) => m.type === 'error')).toMatchObject({ code: 'bad_message' })
    client.ws.close()
  })

  it('culls sessions idle longer than the configured time, never one that is pinned by a running notebook', async () => {
    const idle = await newSession()
    const pinned = await newSession()
    await f.api('editor', 'POST', `${sessionsPath()}/${idle}/execute`, { language: 'sql', code: 'SELECT 1' })
    const release = f.sessions.pin(pinned)
    const culled = await f.sessions.cullIdle(Date.now() + f.sessions.settings.idleCullMs + 1)
    expect(culled).toContain(idle)
    expect(culled).not.toContain(pinned)
    expect(await f.api('viewer', 'GET', `${sessionsPath()}/${idle}`)).toMatchObject({
      status: 404,
      body: { code: 'kernel_session_not_found' },
    })
    release()
    expect(await f.sessions.cullIdle(Date.now() + f.sessions.settings.idleCullMs + 1)).toContain(pinned)
  })

  it('100 concurrent executions across 10 notebooks all complete, each session in order', async () => {
    const clients = await Promise.all(
      Array.from({ length: 10 }, async () =>
        connect(f.websocket('editor', `${sessionsPath()}/${await newSession()}/ws`)),
      ),
    )
    clients.forEach((client, n) => {
      for (let i = 0; i < 10; i++) {
        // Two notebooks mix Python in; the rest are SQL (a Python kernel per notebook is heavy on 2 cores).
        const python = n < 2 && i % 2 === 1
        client.send({
          type: 'execute',
          requestId: `${n}-${i}`,
          language: python ? 'python' : 'sql',
          code: python ? `print('value', ${i})` : `SELECT 'value ' || ${i} AS v, sum(x) FROM range(100000) t(x)`,
        })
      }
    })
    await Promise.all(clients.map((c) => c.until((all) => all.filter((m) => m.type === 'done').length === 10)))
    for (const client of clients) {
      const done = client.messages.filter((m) => m.type === 'done')
      expect(done.map((m) => m.type === 'done' && m.executionCount)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      const shown = client.messages.flatMap((m) => {
        const value = m.type === 'output' ? JSON.stringify(m.output).match(/value (\d)/)?.[1] : undefined
        return value === undefined ? [] : [value]
      })
      expect(shown).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
      client.ws.close()
    }
  })
})
