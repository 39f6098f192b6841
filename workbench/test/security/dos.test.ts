import { once } from 'node:events'
import http from 'node:http'
import { crc32, deflateRawSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../support/collab.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { expectResponsive, type LimitsStack, loneAccount, startLimitsStack, watchHealth } from './limits-stack.ts'

/** Runs for minutes on one thread unless interrupted (DuckDB does not fold a cross product). */
const HEAVY = 'SELECT sum(a.range * b.range) FROM range(100000) a, range(1000000) b'
const TIMEOUT_MS = 6000

/** The CPU time this process (the server runs in it) spends over `ms`, in ms: a running DuckDB query shows. */
async function cpuOver(ms: number): Promise<number> {
  const before = process.cpuUsage()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1000
}

/** A ZIP archive (deflated entries) written by hand, so a test can shape a zip bomb. */
function zip(entries: Record<string, Buffer>): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const [name, data] of Object.entries(entries)) {
    const packed = deflateRawSync(data, { level: 9 })
    const fileName = Buffer.from(name)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(8, 8)
    local.writeUInt32LE(crc32(data), 14)
    local.writeUInt32LE(packed.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(fileName.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(8, 10)
    central.writeUInt32LE(crc32(data), 16)
    central.writeUInt32LE(packed.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(fileName.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, fileName, packed)
    centrals.push(central, fileName)
    offset += local.length + fileName.length + packed.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(centrals.length / 2, 8)
  end.writeUInt16LE(centrals.length / 2, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
const RELS = 'http://schemas.openxmlformats.org/package/2006/relationships'
const DOC_RELS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'

/**
 * An .xlsx whose one sheet has `rows` rows of one `width`-character text cell: tiny compressed, huge expanded.
 * `varied` puts a different letter every 400 characters, so the sheet expands about 150× (under the 200× the
 * zip guard takes) instead of 1000×.
 */
function xlsx(rows: number, width: number, varied = false): Buffer {
  const text = varied
    ? Array.from(
        { length: Math.ceil(width / 400) },
        (_, i) => `${'a'.repeat(399)}${String.fromCharCode(98 + ((i * 7919) % 24))}`,
      )
        .join('')
        .slice(0, width)
    : 'a'.repeat(width)
  const sheet = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN}"><sheetData>` +
      Array.from(
        { length: rows },
        (_, i) => `<row r="${i + 1}"><c r="A${i + 1}" t="inlineStr"><is><t>${text}</t></is></c></row>`,
      ).join('') +
      '</sheetData></worksheet>',
  )
  return zip({
    '[Content_Types].xml': Buffer.from(
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    ),
    '_rels/.rels': Buffer.from(
      `<Relationships xmlns="${RELS}"><Relationship Id="rId1" Type="${DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ),
    'xl/workbook.xml': Buffer.from(
      `<workbook xmlns="${MAIN}" xmlns:r="${DOC_RELS}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    ),
    'xl/_rels/workbook.xml.rels': Buffer.from(
      `<Relationships xmlns="${RELS}"><Relationship Id="rId1" Type="${DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    ),
    'xl/worksheets/sheet1.xml': sheet,
  })
}

/** An .ipynb of `n` empty code cells (nbformat 4.4, ids added on import). */
function ipynb(n: number): string {
  const cell = '{"cell_type":"code","source":"","metadata":{},"outputs":[],"execution_count":null}'
  return `{"nbformat":4,"nbformat_minor":4,"metadata":{},"cells":[${Array(n).fill(cell).join(',')}]}`
}

/**
 * Streams a chunked JSON body of up to `total` bytes to `url` without credentials, stopping as soon as the
 * server answers; says how many bytes had been sent by then.
 */
async function streamBody(url: string, total: number): Promise<{ status: number; body: any; sent: number }> {
  const req = http.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
  })
  let sent = 0
  let answered: { status: number; body: any; sent: number } | undefined
  const response = new Promise<{ status: number; body: any; sent: number }>((resolve, reject) => {
    req.on('response', async (res) => {
      const at = sent
      const chunks: Buffer[] = []
      for await (const chunk of res) chunks.push(chunk as Buffer)
      const text = Buffer.concat(chunks).toString()
      answered = { status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, sent: at }
      resolve(answered)
    })
    req.on('error', (err) => (answered ? resolve(answered) : reject(err)))
  })
  response.catch(() => {})
  let responded = false
  void response.finally(() => {
    responded = true
  })
  const chunk = Buffer.alloc(64 * 1024, 'a')
  req.write('{"token":"')
  while (sent < total && !responded && !req.destroyed) {
    if (!req.write(chunk)) await Promise.race([once(req, 'drain'), once(req, 'close'), response.catch(() => {})])
    sent += chunk.length
    // Let the response in between chunks.
    if (sent % (1024 * 1024) === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  if (!responded && !req.destroyed) req.end('"}')
  const result = await response
  req.destroy()
  return result
}

/**
 * Finding 7 of issue 14: denial of service by one user. Each input is bounded (a limit answers with a stable
 * code) and the event loop stays free: `/api/healthz` of another account answers within 100 ms throughout.
 */
describe.each(DATABASE_KINDS)('denial of service by one account on %s', (kind) => {
  let stack: LimitsStack
  let attacker: { userId: string; token: string }
  let bystander: { userId: string; token: string }
  let watcher: { userId: string; token: string }
  let workspace: string
  let editor: { token: string }

  beforeAll(async () => {
    stack = await startLimitsStack(kind, { SQL_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) })
    attacker = await loneAccount(stack)
    bystander = await loneAccount(stack)
    watcher = await loneAccount(stack)
    workspace = await stack.members.workspace()
    editor = await stack.members.member(workspace, 'editor')
  })
  afterAll(async () => {
    await stack?.dispose()
  })

  it("four heavy scratch queries of one account: two run, two answer 429, another account's SELECT 42 does not wait, and leaving stops them", async () => {
    const health = await watchHealth(stack, watcher.token)
    const controllers = [0, 1, 2, 3].map(() => new AbortController())
    const heavy = controllers.map((controller) =>
      stack
        .api(attacker.token, 'POST', '/sql/scratch', { sql: HEAVY }, { signal: controller.signal })
        .catch((err: unknown) => ({ status: 0, body: String(err), ms: 0 })),
    )
    // The two over the account's limit answer at once (whichever two arrive last).
    const settled: { status: number; body: any }[] = []
    for (const h of heavy) void h.then((r) => settled.push(r))
    await eventually(() => expect(settled.length).toBe(2), 3000)
    expect(settled.map((r) => [r.status, r.body.code])).toEqual([
      [429, 'too_many_queries'],
      [429, 'too_many_queries'],
    ])
    await new Promise((resolve) => setTimeout(resolve, 500))
    const answer = await stack.api(bystander.token, 'POST', '/sql/scratch', { sql: 'SELECT 42 AS answer' })
    expect(answer.body.rows).toEqual([[42]])
    expect(answer.ms).toBeLessThan(1000)

    // The client leaves: both statements are interrupted (the process stops burning CPU on them).
    for (const controller of controllers) controller.abort()
    await Promise.all(heavy)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await cpuOver(1000)).toBeLessThan(500)
    // And their slots are free again.
    expect((await stack.api(attacker.token, 'POST', '/sql/scratch', { sql: 'SELECT 1' })).status).toBe(200)
    expectResponsive(await health.stop())
  })

  it('REST executions of one account are bounded (429), and a client that leaves interrupts its cell', async () => {
    const notebook = await stack.api(editor.token, 'POST', `/workspaces/${workspace}/notebooks`, { name: 'heavy' })
    const session = await stack.api(editor.token, 'POST', `/workspaces/${workspace}/kernels/sessions`, {
      notebookId: notebook.body.id,
    })
    const path = `/workspaces/${workspace}/kernels/sessions/${session.body.id}/execute`
    const health = await watchHealth(stack, watcher.token)
    const controllers = [0, 1, 2, 3, 4].map(() => new AbortController())
    const settled: { status: number; body: any }[] = []
    const runs = controllers.map((controller) =>
      stack
        .api(editor.token, 'POST', path, { language: 'sql', code: HEAVY }, { signal: controller.signal })
        .catch((err: unknown) => ({ status: 0, body: String(err), ms: 0 }))
        .then((r) => {
          settled.push(r)
          return r
        }),
    )
    // One runs, three wait in the session's queue, the fifth is over the account's limit.
    await eventually(() => expect(settled.length).toBe(1), 3000)
    expect([settled[0]?.status, settled[0]?.body.code]).toEqual([429, 'too_many_queries'])
    await new Promise((resolve) => setTimeout(resolve, 500))
    for (const controller of controllers) controller.abort()
    await Promise.all(runs)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await cpuOver(1000)).toBeLessThan(500)
    // The session is free again at once: the queued cells were dropped, the running one interrupted.
    const next = await stack.api(editor.token, 'POST', path, { language: 'sql', code: 'SELECT 42 AS answer' })
    expect(next.status).toBe(200)
    expect(next.ms).toBeLessThan(2000)
    expectResponsive(await health.stop())
  })

  it('computing a catalog profile stops when its client leaves', async () => {
    const admin = await stack.members.member(workspace, 'admin')
    const base = `/workspaces/${workspace}`
    const notebook = await stack.api(editor.token, 'POST', `${base}/notebooks`, { name: 'catalog-heavy' })
    const session = await stack.api(editor.token, 'POST', `${base}/kernels/sessions`, { notebookId: notebook.body.id })
    const created = await stack.api(editor.token, 'POST', `${base}/kernels/sessions/${session.body.id}/execute`, {
      language: 'sql',
      code: `CREATE VIEW heavy_view AS SELECT a.range * b.range AS x FROM range(100000) a, range(1000000) b`,
    })
    expect(created.status).toBe(200)
    const sources = await stack.api(editor.token, 'GET', `${base}/catalog/sources`)
    const started = await stack.api(admin.token, 'POST', `${base}/catalog/sources/${sources.body[0].id}/discover`)
    expect(started.status).toBe(202)
    await eventually(async () => {
      const run = await stack.api(editor.token, 'GET', `${base}/catalog/runs/${started.body.runId}`)
      expect(run.body.status).toBe('succeeded')
    }, 30_000)
    const found = await stack.api(editor.token, 'GET', `${base}/catalog/search?q=heavy_view`)
    const asset = found.body.items.find((i: { name: string }) => i.name === 'heavy_view')
    expect(asset).toBeDefined()

    const controller = new AbortController()
    const profile = stack
      .api(editor.token, 'POST', `${base}/catalog/assets/${asset.id}/profile`, undefined, { signal: controller.signal })
      .catch((err: unknown) => ({ status: 0, body: String(err), ms: 0 }))
    await new Promise((resolve) => setTimeout(resolve, 1000))
    // The profile's scan is running (well before the 6 s statement timeout)...
    expect(await cpuOver(500)).toBeGreaterThan(300)
    // ...and stops once the client leaves, not at the timeout.
    controller.abort()
    expect((await profile).status).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await cpuOver(1000)).toBeLessThan(500)
  })

  it('a scratch statement stops at the statement timeout', async () => {
    const started = performance.now()
    const res = await stack.api(attacker.token, 'POST', '/sql/scratch', { sql: HEAVY })
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('statement_timeout')
    expect(performance.now() - started).toBeGreaterThan(TIMEOUT_MS - 500)
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 3000)
    expect(await cpuOver(1000)).toBeLessThan(500)
  })

  it('a 150,000-cell .ipynb is refused by its cell count without holding up the event loop', async () => {
    const huge = ipynb(150_000)
    expect(huge.length).toBeGreaterThan(10_000_000)
    // The import worker thread starts once per process, on the first import: not part of what is measured.
    const warm = await stack.api(
      editor.token,
      'POST',
      `/workspaces/${workspace}/notebooks/import?name=warm`,
      undefined,
      {
        body: ipynb(1),
        headers: { authorization: `Bearer ${editor.token}`, 'content-type': 'application/x-ipynb+json' },
      },
    )
    expect(warm.status).toBe(201)
    const health = await watchHealth(stack, watcher.token)
    const res = await stack.api(
      editor.token,
      'POST',
      `/workspaces/${workspace}/notebooks/import?name=huge`,
      undefined,
      {
        body: huge,
        headers: { authorization: `Bearer ${editor.token}`, 'content-type': 'application/x-ipynb+json' },
      },
    )
    expect(res.status).toBe(413)
    expect(res.body).toMatchObject({ code: 'ipynb_too_many_cells', details: { cells: 150_000, limit: 10_000 } })
    expect(res.ms).toBeLessThan(5000)
    expectResponsive(await health.stop())
  })

  it('a notebook at the cell limit imports in linear time, converted off the event loop', async () => {
    const health = await watchHealth(stack, watcher.token)
    const res = await stack.api(editor.token, 'POST', `/workspaces/${workspace}/notebooks/import?name=big`, undefined, {
      body: ipynb(10_000),
      headers: { authorization: `Bearer ${editor.token}`, 'content-type': 'application/x-ipynb+json' },
    })
    expect(res.status).toBe(201)
    expect(res.ms).toBeLessThan(10_000)
    expectResponsive(await health.stop())
  })

  it('an XLSX zip bomb is refused before it is expanded; a small workbook of the same shape converts', async () => {
    const upload = async (name: string, bytes: Buffer) => {
      const base = `/workspaces/${workspace}/files/uploads`
      const begun = await stack.api(editor.token, 'POST', base, { name, size: bytes.length })
      expect(begun.status).toBe(201)
      const put = await stack.api(editor.token, 'PUT', `${base}/${begun.body.id}?offset=0`, undefined, {
        body: bytes,
        headers: { authorization: `Bearer ${editor.token}`, 'content-type': 'application/octet-stream' },
      })
      expect(put.status).toBe(200)
      return stack.api(editor.token, 'POST', `${base}/${begun.body.id}/complete`)
    }
    const small = await upload('small.xlsx', xlsx(3, 4))
    expect(small.status, JSON.stringify(small.body)).toBe(200)
    expect(small.body.sheets).toEqual([expect.objectContaining({ rows: 3 })])

    // 1,000 cells of 150,000 characters: 150 MB of sheet XML (and of CSV) in a file of about 150 KB.
    const bomb = xlsx(1000, 150_000)
    expect(bomb.length).toBeLessThan(1024 * 1024)
    const health = await watchHealth(stack, watcher.token)
    const res = await upload('bomb.xlsx', bomb)
    expect(res.status).toBe(413)
    expect(res.body.code).toBe('workbook_too_large')
    expect(res.ms).toBeLessThan(5000)
    expectResponsive(await health.stop())
  })

  it('a large workbook within the limits converts on a worker thread while healthz keeps answering', async () => {
    const base = `/workspaces/${workspace}/files/uploads`
    const upload = async (name: string, bytes: Buffer) => {
      const begun = await stack.api(editor.token, 'POST', base, { name, size: bytes.length })
      expect(begun.status).toBe(201)
      const put = await stack.api(editor.token, 'PUT', `${base}/${begun.body.id}?offset=0`, undefined, {
        body: bytes,
        headers: { authorization: `Bearer ${editor.token}`, 'content-type': 'application/octet-stream' },
      })
      expect(put.status).toBe(200)
      return begun.body.id as string
    }
    // The conversion worker starts once per process, on the first workbook: not part of what is measured.
    const warm = await upload('warm.xlsx', xlsx(1, 1))
    expect((await stack.api(editor.token, 'POST', `${base}/${warm}/complete`)).status).toBe(200)

    // Three cells of 50 million characters: 150 MB of CSV from about 1 MB. The streaming reader yields between
    // chunks, so even on the event loop healthz mostly answers, but the loop is then busy about 75% of the
    // conversion's 2.5 s: every other request of the instance shares one thread with it. Off the loop, the
    // server's thread stays mostly idle (this test process is the server, so its utilization is the server's).
    const big = xlsx(3, 50_000_000, true)
    expect(big.length).toBeLessThan(2 * 1024 * 1024)
    const id = await upload('big.xlsx', big)
    const health = await watchHealth(stack, watcher.token)
    const before = performance.eventLoopUtilization()
    const res = await stack.api(editor.token, 'POST', `${base}/${id}/complete`)
    const busy = performance.eventLoopUtilization(before).utilization
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.sheets).toEqual([expect.objectContaining({ rows: 3 })])
    expect(busy).toBeLessThan(0.4)
    expectResponsive(await health.stop())
  })

  it('an anonymous 200 MB JSON body is refused without being read whole', async () => {
    const health = await watchHealth(stack, watcher.token)
    const streamed = await streamBody(`${stack.wb.url}/api/invitations/lookup`, 200 * 1024 * 1024)
    expect(streamed.status).toBe(413)
    expect(streamed.body.code).toBe('body_too_large')
    expect(streamed.sent).toBeLessThan(16 * 1024 * 1024)
    // Declared up front, it is refused before a byte of it is read.
    const declared = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${stack.wb.url}/api/invitations/lookup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(200 * 1024 * 1024) },
      })
      req.on('response', (r) => {
        resolve(r.statusCode ?? 0)
        req.destroy()
      })
      req.on('error', reject)
      req.flushHeaders()
    })
    expect(declared).toBe(413)
    expectResponsive(await health.stop())
  })
})
