import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { YNotebook } from '@jupyter/ydoc'
import { afterAll, describe, expect, it } from 'vitest'
import { decodeAck, encodeUpdate } from '../src/collab/protocol.ts'
import { authenticatedWebSocket, connectClient, eventually } from './support/collab.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple' }

/** The real entrypoint as its own process, so it can be killed with SIGKILL. */
async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workbench/src/main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stderr?.on('data', (d) => {
    output += d
  })
  const deadline = Date.now() + 120_000
  for (;;) {
    const match = output.match(/ready at (http:\/\/\S+)/)
    if (match?.[1]) return { child, url: match[1] }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start: ${output}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

async function api(url: string, token: string | undefined, method: string, route: string, body?: unknown) {
  const res = await fetch(`${url}/api${route}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return (await res.json()) as any
}

describe('durability of acknowledged edits', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'workbench-durability-'))
  const children: ChildProcess[] = []
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('loses no acknowledged update when the server is killed with SIGKILL mid-edit', async () => {
    const first = await startServer(dataDir)
    children.push(first.child)
    const { accessToken } = await api(first.url, undefined, 'POST', '/auth/token', ADMIN)
    const workspace = await api(first.url, accessToken, 'POST', '/workspaces', { name: 'Durable' })
    const notebook = await api(first.url, accessToken, 'POST', `/workspaces/${workspace.id}/notebooks`, { name: 'n' })
    const notebooksUrl = `${first.url.replace('http', 'ws')}/api/workspaces/${workspace.id}/notebooks`

    const WebSocketWithToken = authenticatedWebSocket(accessToken)
    const ws = new WebSocketWithToken(`${notebooksUrl}/${notebook.id}/collab?acks=1`)
    let acked = 0
    ws.on('message', (data: Buffer) => {
      const ack = decodeAck(new Uint8Array(data))
      if (ack !== undefined) acked = ack
    })
    ws.on('error', () => {})
    await new Promise((resolve) => ws.once('open', resolve))
    const local = new YNotebook({})
    const sent: string[] = []
    // For each message sent: how many cells existed once it was applied. An ack of n covers message n.
    const cellsAfterMessage: number[] = []
    local.ydoc.on('update', (update: Uint8Array) => {
      ws.send(encodeUpdate(update))
      cellsAfterMessage.push(sent.length)
    })
    const addCell = (i: number) => {
      const source = `cell ${i}`
      sent.push(source)
      local.insertCell(local.cells.length, { cell_type: 'code', source })
    }
    for (let i = 0; i < 40; i++) addCell(i)
    const firstBatch = cellsAfterMessage.length
    await eventually(() => expect(acked).toBe(firstBatch), 30_000)
    // Keep editing, and kill the server while updates are in flight.
    for (let i = 40; i < 80; i++) addCell(i)
    first.child.kill('SIGKILL')
    await new Promise((resolve) => first.child.once('exit', resolve))
    const acknowledged = sent.slice(0, cellsAfterMessage[acked - 1])
    local.dispose()

    const second = await startServer(dataDir)
    children.push(second.child)
    const { accessToken: token2 } = await api(second.url, undefined, 'POST', '/auth/token', ADMIN)
    const reader = connectClient(
      `${second.url.replace('http', 'ws')}/api/workspaces/${workspace.id}/notebooks`,
      notebook.id,
      token2,
    )
    try {
      await reader.synced()
      const sources = reader.notebook.cells.map((cell) => cell.getSource())
      expect(acknowledged.length).toBeGreaterThanOrEqual(40)
      for (const source of acknowledged) expect(sources).toContain(source)
      expect(new Set(sources).size).toBe(sources.length)
    } finally {
      reader.destroy()
      second.child.kill('SIGTERM')
      await new Promise((resolve) => second.child.once('exit', resolve))
    }
  })
})
