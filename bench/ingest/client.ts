/**
 * The user's side of the ingest benchmark, in its own process as a browser would be: uploads a file through the
 * HTTP API in chunks sized as the web client sizes them, completes it, asks for the preview, and imports with the
 * preview's schema (what the Files page sends). Prints one JSON line with the time of each step.
 *
 * `client.ts <filesApiBase> <token> <csv>`
 */
import { open, stat } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import path from 'node:path'
import { FIRST_CHUNK_BYTES, nextChunkBytes } from '../../web/src/core/files/chunking.ts'

const [base, token, csv] = process.argv.slice(2)
if (!base || !token || !csv) throw new Error('usage: client.ts <filesApiBase> <token> <csv>')

const auth = { Authorization: `Bearer ${token}` }
const json = { ...auth, 'Content-Type': 'application/json' }

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: body === undefined ? auth : json,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

/**
 * One chunk, sent as a browser sends a Blob: straight from memory. Node's own HTTP client stands in for the
 * browser's network stack here; `fetch` would add copies through web streams that a browser does not make.
 */
const agent = new Agent({ keepAlive: true })
function put(url: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        agent,
        headers: { ...auth, 'Content-Type': 'application/octet-stream', 'Content-Length': body.length },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          text += d
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const { size } = await stat(csv)
const file = await open(csv, 'r')
// A running server has answered requests before: one small request first, so the process's first-request costs
// (lazy compilation, first queries, key import) are not counted as the import's.
await call('GET', '')
const started = performance.now()
const cpuBefore = process.cpuUsage()
const begun = await call<{ id: string }>('POST', '/uploads', { name: `bench${path.extname(csv)}`, size })
// Chunks sized as the web client sizes them (web/src/core/files/upload.ts).
const buffer = Buffer.alloc(32 * 1024 * 1024)
let chunkBytes = FIRST_CHUNK_BYTES
let chunks = 0
for (let offset = 0; offset < size; ) {
  const sentAt = performance.now()
  const { bytesRead } = await file.read(buffer, 0, Math.min(chunkBytes, buffer.length), offset)
  const res = await put(`${base}/uploads/${begun.id}?offset=${offset}`, buffer.subarray(0, bytesRead))
  if (res.status !== 200) throw new Error(`chunk at ${offset}: ${res.status} ${res.body}`)
  chunkBytes = nextChunkBytes(bytesRead, performance.now() - sentAt)
  offset += bytesRead
  chunks++
}
await file.close()
const uploaded = performance.now()
await call('POST', `/uploads/${begun.id}/complete`)
const completed = performance.now()
const preview = await call<{ columns: { name: string; type: string }[] }>('POST', `/${begun.id}/preview`, {})
const previewed = performance.now()
const columns = preview.columns.map(({ name, type }) => ({ name, type }))
const result = await call<{ status: string; rowsLoaded: number; rowsRejected: number; error: string | null }>(
  'POST',
  `/${begun.id}/import`,
  { table: 't', options: { columns } },
)
const done = performance.now()
const cpu = process.cpuUsage(cpuBefore)
if (result.status !== 'succeeded') throw new Error(`import failed: ${result.error}`)
console.log(
  JSON.stringify({
    uploadMs: uploaded - started,
    chunks,
    completeMs: completed - uploaded,
    previewMs: previewed - completed,
    importMs: done - previewed,
    rows: result.rowsLoaded,
    rejected: result.rowsRejected,
    types: columns.map((c) => c.type).join(','),
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
)
