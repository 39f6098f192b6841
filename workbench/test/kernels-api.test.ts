import { KernelCloseCode, type ServerMessage, TABLE_MIME_TYPE, type TableData } from '@workbench/kernels'
import { STDIN_NOT_SUPPORTED } from '@workbench/kernels/jupyter'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startTestWorkbench, type TestWorkbench } from './support/workbench.ts'

let wb: TestWorkbench

beforeAll(async () => {
  wb = await startTestWorkbench({ KERNEL_OUTPUT_LIMIT_BYTES: '65536', DUCKDB_MEMORY_LIMIT: '256MB' })
})

afterAll(async () => {
  await wb?.dispose()
})

async function api(path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${wb.url}/api${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

async function newSession(workspaceId = 'ws1', notebookId = 'nb1'): Promise<string> {
  const res = await api('/kernels/sessions', { body: { workspaceId, notebookId } })
  expect(res.status).toBe(201)
  return res.body.id
}

/** A websocket client collecting server messages; `until` waits for a message matching a predicate. */
async function connect(sessionId: string) {
  const ws = new WebSocket(`${wb.url.replace('http', 'ws')}/api/kernels/sessions/${sessionId}/ws`)
  const messages: ServerMessage[] = []
  const waiters: (() => void)[] = []
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)))
    for (const w of waiters.splice(0)) w()
  })
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const until = async (predicate: (all: ServerMessage[]) => boolean) => {
    while (!predicate(messages)) await new Promise<void>((resolve) => waiters.push(resolve))
  }
  const send = (message: unknown) => ws.send(JSON.stringify(message))
  return { ws, messages, until, send, closed }
}

const outputsOf = (messages: ServerMessage[], requestId: string) =>
  messages.flatMap((m) => (m.type === 'output' && m.requestId === requestId ? [m.output] : []))

describe('execution API: REST', () => {
  it('runs a SQL cell, returns the first page, and pages the kept result', async () => {
    const id = await newSession()
    const run = await api(`/kernels/sessions/${id}/execute`, {
      body: { language: 'sql', code: 'SELECT i, i % 3 AS m FROM range(5000) t(i)' },
    })
    expect(run.status).toBe(200)
    expect(run.body.executionCount).toBe(1)
    const table = run.body.outputs[0].data[TABLE_MIME_TYPE] as TableData
    expect(table.totalRows).toBe(5000)
    expect(table.rows).toHaveLength(1000)
    const page = await api(`/kernels/sessions/${id}/results/${table.resultId}/page`, {
      body: {
        offset: 10,
        limit: 2,
        filter: [{ column: 'm', op: '=', value: 0 }],
        sort: [{ column: 'i', descending: true }],
      },
    })
    expect(page.status).toBe(200)
    expect(page.body).toMatchObject({
      totalRows: 1667,
      offset: 10,
      rows: [
        ['4968', '0'],
        ['4965', '0'],
      ],
    })
    const bad = await api(`/kernels/sessions/${id}/results/${table.resultId}/page`, {
      body: { sort: [{ column: 'nope' }] },
    })
    expect(bad).toMatchObject({ status: 400, body: { code: 'invalid_page_request' } })
    const gone = await api(`/kernels/sessions/${id}/results/r999/page`, { body: {} })
    expect(gone).toMatchObject({ status: 404, body: { code: 'result_not_found' } })
  })

  it('answers unknown sessions and bad requests with stable error codes', async () => {
    expect(await api('/kernels/sessions/nope/execute', { body: { language: 'sql', code: 'SELECT 1' } })).toMatchObject({
      status: 404,
      body: { code: 'kernel_session_not_found' },
    })
    const id = await newSession()
    expect(await api(`/kernels/sessions/${id}/execute`, { body: { language: 'cobol', code: 'x' } })).toMatchObject({
      status: 400,
      body: { code: 'validation_failed' },
    })
    expect(await api('/kernels/sessions', { body: { workspaceId: '../etc', notebookId: 'x' } })).toMatchObject({
      status: 400,
      body: { code: 'invalid_workspace_id' },
    })
  })

  it('lists, shows and deletes sessions of a workspace', async () => {
    const id = await newSession('ws-list', 'nb')
    expect((await api('/kernels/sessions?workspaceId=ws-list')).body.map((s: { id: string }) => s.id)).toEqual([id])
    expect((await api(`/kernels/sessions/${id}`)).body).toMatchObject({ id, idle: true, kernels: {} })
    expect((await api(`/kernels/sessions/${id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await api(`/kernels/sessions/${id}`)).status).toBe(404)
  })

  it('a cell over the memory limit fails cleanly and the session keeps working', async () => {
    const id = await newSession()
    const big = await api(`/kernels/sessions/${id}/execute`, {
      body: { language: 'sql', code: "SELECT list(repeat('x', 100) || i) FROM range(20000000) t(i)" },
    })
    expect(big.body.outputs[0]).toMatchObject({ output_type: 'error', ename: 'OutOfMemoryError' })
    const ok = await api(`/kernels/sessions/${id}/execute`, { body: { language: 'sql', code: 'SELECT 42 AS a' } })
    expect(ok.body.outputs[0].data[TABLE_MIME_TYPE].rows).toEqual([[42]])
  })
})

describe('execution API: websocket', () => {
  it('streams Python outputs, interrupts, and answers input() without hanging', async () => {
    const id = await newSession('ws2', 'nb-py')
    const client = await connect(id)
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
    expect(outputsOf(client.messages, 'b')[0]).toMatchObject({
      ename: 'StdinNotImplementedError',
      evalue: STDIN_NOT_SUPPORTED,
    })
    client.send({ type: 'execute', requestId: 'c', language: 'python', code: "print('x' * 1_000_000)" })
    await client.until((all) => all.some((m) => m.type === 'done' && m.requestId === 'c'))
    expect(JSON.stringify(outputsOf(client.messages, 'c'))).toMatch(
      /Output truncated: this cell produced more than 64 KB/,
    )
    client.send('not json')
    await client.until((all) => all.some((m) => m.type === 'error'))
    expect(client.messages.find((m) => m.type === 'error')).toMatchObject({ code: 'bad_message' })
    client.ws.close()
  })

  it('closes with named codes: unknown session, and session deleted while connected', async () => {
    const unknown = await connect('no-such-session')
    expect(await unknown.closed).toBe(KernelCloseCode.sessionNotFound)
    const id = await newSession()
    const client = await connect(id)
    await api(`/kernels/sessions/${id}`, { method: 'DELETE' })
    expect(await client.closed).toBe(KernelCloseCode.sessionClosed)
  })

  it('100 concurrent executions across 10 notebooks all complete, each notebook in order', async () => {
    const clients = await Promise.all(
      Array.from({ length: 10 }, async (_, n) => connect(await newSession('ws-load', `nb-${n}`))),
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
      // Only the outputs carrying a value: a kernel may add others (a stderr warning on first pandas use).
      const shown = client.messages.flatMap((m) => {
        const value = m.type === 'output' ? JSON.stringify(m.output).match(/value (\d)/)?.[1] : undefined
        return value === undefined ? [] : [value]
      })
      expect(shown).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
      client.ws.close()
    }
  })
})

describe('idle culling', () => {
  it('shuts down sessions idle longer than the configured time, and keeps busy ones', async () => {
    const idle = await newSession('ws-cull', 'idle')
    await api(`/kernels/sessions/${idle}/execute`, { body: { language: 'python', code: 'x = 1' } })
    const culled = await wb.kernels.cullIdle(Date.now() + wb.config.kernels.idleCullMs + 1)
    expect(culled).toContain(idle)
    expect((await api(`/kernels/sessions/${idle}`)).body.code).toBe('kernel_session_not_found')
  })
})
