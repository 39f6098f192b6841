import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFilesFixture, type FilesFixture, filesClient } from './support/files.ts'

/**
 * Uploads over a real socket (the server reads the Node request directly there): a connection that dies mid-chunk
 * keeps what arrived, and a chunk announcing more bytes than declared is refused before it is read.
 */
describe('file uploads over a real connection', () => {
  let f: FilesFixture
  let server: ServerType
  let port: number
  let ws: string
  let token: string

  beforeAll(async () => {
    f = await createFilesFixture('pglite', { maxUploadBytes: 1_000_000 })
    ws = await f.members.workspace()
    token = (await f.members.member(ws, 'editor')).token
    server = createAdaptorServer({ fetch: f.app.fetch })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    await f?.dispose()
  })

  const base = () => `/api/workspaces/${ws}/files`

  /** Sends `sent` bytes of a chunk that announced `announced`, then drops the connection (or ends normally). */
  const rawPut = (path: string, announced: number, body: Buffer, drop: boolean) =>
    new Promise<number | 'dropped'>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'PUT',
          headers: {
            Authorization: `Bearer ${token}`,
            'Content-Type': 'application/octet-stream',
            'Content-Length': announced,
          },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', () => resolve('dropped'))
      req.write(body, () => {
        if (drop) setTimeout(() => req.destroy(), 200)
        else req.end()
      })
    })

  it('keeps the bytes of a chunk whose connection died, and resumes from there', async () => {
    const csv = Buffer.from(`n,word\n${Array.from({ length: 3000 }, (_, i) => `${i},w${i}`).join('\n')}\n`)
    const api = filesClient(f.app, ws, token)
    const begun = await api.call('POST', '/uploads', { name: 'socket.csv', size: csv.length })
    const id = begun.body.id
    expect(await rawPut(`${base()}/uploads/${id}?offset=0`, csv.length, csv.subarray(0, 7000), true)).toBe('dropped')
    await expect.poll(async () => (await api.call('GET', `/uploads/${id}`)).body.received).toBe(7000)
    // The server may still be finishing the broken chunk (reading it into DuckDB as it lands): it answers 409
    // upload_busy until then, and the client sends the rest again.
    let status: number | 'dropped' = 409
    for (let i = 0; i < 50 && status === 409; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100))
      status = await rawPut(`${base()}/uploads/${id}?offset=7000`, csv.length - 7000, csv.subarray(7000), false)
    }
    expect(status).toBe(200)
    expect((await api.call('POST', `/uploads/${id}/complete`)).body.status).toBe('ready')
    const result = await api.call('POST', `/${id}/import`, { table: 'socket' })
    expect(result.body).toMatchObject({ status: 'succeeded', rowsLoaded: 3000, rowsRejected: 0 })
  })

  it('refuses a chunk announcing more than the declared size before reading it', async () => {
    const api = filesClient(f.app, ws, token)
    const begun = await api.call('POST', '/uploads', { name: 'big.csv', size: 100 })
    const status = await rawPut(`${base()}/uploads/${begun.body.id}?offset=0`, 500_000, Buffer.alloc(10), false)
    expect(status).toBe(413)
    expect((await api.call('GET', `/uploads/${begun.body.id}`)).status).toBe(404)
  })
})
