import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { NetworkGuard } from '../../workbench/src/connections/network-guard.ts'
import { guardedFetch } from '../../workbench/src/connections/outbound-http.ts'
import { OdooClient } from '../../workbench/src/odoo/client.ts'
import { extractModel } from '../../workbench/src/odoo/extract.ts'
import { FAKE_USERS } from '../../workbench/test/support/odoo-fake/seed.ts'
import type { BenchResult } from '../harness.ts'

/**
 * Extraction of ODOO_BENCH_LINES (default 500,000) account.move.line from the Odoo fake (Odoo 19, JSON-2,
 * in its own process): our full extraction into DuckDB (typed columns, committed page by page) against a raw
 * `search_read` loop over the same pages that only parses the JSON; then an incremental run after 1 % of
 * the records changed, against the full run. Also our peak RSS growth during the full run.
 */
const LINES = Number(process.env.ODOO_BENCH_LINES ?? 500_000)
const PAGE = 5000
const FIELDS = [
  'move_id',
  'account_id',
  'partner_id',
  'journal_id',
  'company_id',
  'date',
  'date_maturity',
  'debit',
  'credit',
  'balance',
  'amount_residual',
  'parent_state',
  'name',
  'write_date',
]

async function startFake(): Promise<{ url: string; stop(): void }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(import.meta.dirname, '../../workbench/test/support/odoo-fake/main.ts'),
      '--version',
      '19',
      '--port',
      '0',
      '--move-lines',
      String(LINES),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /"url":"([^"]+)"/.exec(d.toString())
      if (m?.[1]) resolve(m[1])
    })
    child.on('exit', (code) => reject(new Error(`the fake exited (${code})`)))
  })
  return { url, stop: () => child.kill('SIGTERM') }
}

export default async function bench(): Promise<BenchResult[]> {
  const fake = await startFake()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'odoo-bench-'))
  try {
    const fetch = guardedFetch({
      guard: () => new NetworkGuard({ allowed: ['127.0.0.0/8'] }),
      maxBodyBytes: 512 * 1024 * 1024,
      timeoutMs: 600_000,
    })
    const odoo = await OdooClient.connect({
      url: fake.url,
      database: 'odoo',
      login: FAKE_USERS.admin.login,
      secret: FAKE_USERS.admin.apiKey,
      fetch,
    })
    const total = await odoo.searchCount('account.move.line')

    // Baseline: the same keyset-paged search_read over JSON-2, records parsed and dropped.
    let started = performance.now()
    let last = 0
    let seen = 0
    for (;;) {
      const res = await fetch(`${fake.url}/json/2/account.move.line/search_read`, {
        method: 'POST',
        headers: { authorization: `bearer ${FAKE_USERS.admin.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          domain: [['id', '>', last]],
          fields: FIELDS,
          order: 'id',
          limit: PAGE,
          context: odoo.context,
        }),
      })
      const page = (await res.json()) as { id: number }[]
      if (page.length === 0) break
      seen += page.length
      last = page[page.length - 1]?.id as number
      if (page.length < PAGE) break
    }
    const baselineS = (performance.now() - started) / 1000

    const instance = await DuckDBInstance.create(path.join(dir, 'bench.duckdb'))
    const duck = await instance.connect()
    const rss0 = process.memoryUsage().rss
    let peak = rss0
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
    }, 50)
    started = performance.now()
    const full = await extractModel(odoo, duck, { model: 'account.move.line', fields: FIELDS, pageSize: PAGE })
    const fullS = (performance.now() - started) / 1000
    clearInterval(sampler)

    // 1 % of the records change.
    const changed = Math.round(total / 100)
    const ids = await odoo.search('account.move.line', { order: 'id', limit: changed })
    for (let i = 0; i < ids.length; i += 1000)
      await odoo.write('account.move.line', ids.slice(i, i + 1000), { name: 'changed' })
    started = performance.now()
    const inc = await extractModel(odoo, duck, { model: 'account.move.line', fields: FIELDS, pageSize: PAGE })
    const incS = (performance.now() - started) / 1000
    duck.closeSync()
    instance.closeSync()
    if (full.rows !== total || seen !== total || inc.read !== changed)
      throw new Error(
        `counts differ: odoo ${total}, baseline ${seen}, full ${full.rows}, incremental read ${inc.read} of ${changed}`,
      )
    return [
      {
        name: `odoo extract ${total} account.move.line (s, full vs raw search_read loop)`,
        ours: fullS,
        baseline: baselineS,
        unit: 's',
        notes: {
          oursRecordsPerS: Math.round(total / fullS),
          baselineRecordsPerS: Math.round(total / baselineS),
          peakRssGrowthMB: Math.round((peak - rss0) / 1e6),
        },
      },
      {
        name: `odoo incremental after ${changed} changed (s, vs the full run; target <= 0.05)`,
        ours: incS,
        baseline: fullS,
        unit: 's',
        notes: { read: inc.read, deleted: inc.deleted },
      },
    ]
  } finally {
    fake.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
