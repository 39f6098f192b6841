import { spawnSync } from 'node:child_process'
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import type { BenchResult } from '../harness.ts'

const RUNS = Number(process.env.INGEST_RUNS ?? 3)
const ROOT = path.resolve(import.meta.dirname, '../..')

/**
 * The cases: CSV of 1M and 3M rows, the 3M rows as Parquet, 200k rows as JSON. `INGEST_CASES=csv-1m,json-200k`
 * runs some. The XLSX case belongs with the workbook code: add it here as one more `{ name, file, rows }`
 * (the worker picks DuckDB's reader of the baseline by extension).
 */
interface Case {
  name: string
  rows: number
  make: (work: string, csv3m: string) => Promise<string>
}
const CASES: Case[] = [
  { name: 'csv-1m', rows: 1_000_000, make: (work) => generate(path.join(work, 'data-1m.csv'), 1_000_000) },
  { name: 'csv-3m', rows: 3_000_000, make: async (_, csv3m) => csv3m },
  {
    name: 'parquet-3m',
    rows: 3_000_000,
    make: (work, csv3m) => convert(csv3m, path.join(work, 'data-3m.parquet'), 'FORMAT parquet', 3_000_000),
  },
  {
    name: 'json-200k',
    rows: 200_000,
    make: (work, csv3m) => convert(csv3m, path.join(work, 'data-200k.json'), 'FORMAT json, ARRAY true', 200_000),
  },
]

/**
 * Each case's file imported through the upload API (chunked HTTP upload, complete, import with the preview's
 * schema and rejects handling) against DuckDB's own reader of the same file (`read_csv`, `read_parquet`,
 * `read_json`), each side in its own process for its peak memory (the uploading client in a third process, as a
 * browser would be).
 */
export default async function ingest(): Promise<BenchResult[]> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'wb-ingest-'))
  const wanted = process.env.INGEST_CASES?.split(',')
  const cases = CASES.filter((c) => !wanted || wanted.includes(c.name))
  const results: BenchResult[] = []
  try {
    const needs3m = cases.some((c) => c.name !== 'csv-1m')
    const csv3m = needs3m ? await generate(path.join(work, 'data-3m.csv'), 3_000_000) : ''
    for (const c of cases) results.push(await measure(c, await c.make(work, csv3m), work))
    return results
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

async function measure(c: Case, file: string, work: string): Promise<BenchResult> {
  {
    // Interleaved runs, medians: on a shared machine one run of either side can be off by half.
    const runs: { ours: SideResult[]; baseline: SideResult[] } = { ours: [], baseline: [] }
    for (let i = 0; i < RUNS; i++) {
      runs.baseline.push(run('baseline', file, work))
      runs.ours.push(run('ours', file, work))
    }
    const baseline = median(runs.baseline)
    const ours = median(runs.ours)
    const mb = (statSync(file).size / 1024 / 1024).toFixed(1)
    if (ours.rows !== c.rows || baseline.rows !== c.rows)
      throw new Error(`${c.name} row counts: ${ours.rows} vs ${baseline.rows}`)
    const reader = file.endsWith('.parquet') ? 'read_parquet' : file.endsWith('.json') ? 'read_json' : 'read_csv'
    return {
      name: `ingest ${c.name} (${path.extname(file).slice(1)}, ${mb} MB), upload+import vs ${reader}`,
      ours: ours.ms,
      baseline: baseline.ms,
      unit: 'ms',
      notes: {
        runs: RUNS,
        oursUploadMs: Math.round(ours.uploadMs ?? 0),
        oursChunks: ours.chunks ?? 0,
        oursCompleteMs: Math.round(ours.completeMs ?? 0),
        oursImportOnlyMs: Math.round(ours.importMs),
        // The preview is its own step (the user reads it before importing): shown, not in `ours`.
        oursPreviewMs: Math.round(ours.previewMs ?? 0),
        ratioWithPreview: ((ours.ms + (ours.previewMs ?? 0)) / baseline.ms).toFixed(2),
        oursRssBeforeMb: ours.rssBeforeMb ?? 0,
        oursPeakRssMb: ours.maxRssMb,
        clientPeakRssMb: ours.clientPeakRssMb ?? 0,
        baselinePeakRssMb: baseline.maxRssMb,
        // CPU time (all threads) is steadier than wall time on a busy machine; the client's is the browser's.
        oursServerCpuMs: Math.round(ours.cpuMs ?? 0),
        clientCpuMs: Math.round(ours.clientCpuMs ?? 0),
        baselineCpuMs: Math.round(baseline.cpuMs ?? 0),
        rejected: ours.rejected ?? 0,
        types: ours.types ?? '',
      },
    }
  }
}

/** The first `rows` rows of the CSV written by DuckDB in another format. */
async function convert(csv: string, target: string, format: string, rows: number): Promise<string> {
  const instance = await DuckDBInstance.create(':memory:')
  const con = await instance.connect()
  await con.run(`COPY (SELECT * FROM read_csv('${csv}') LIMIT ${rows}) TO '${target}' (${format})`)
  con.closeSync()
  instance.closeSync()
  return target
}

interface SideResult {
  ms: number
  importMs: number
  uploadMs?: number
  chunks?: number
  completeMs?: number
  previewMs?: number
  rssBeforeMb?: number
  rows: number
  rejected?: number
  types?: string
  cpuMs?: number
  clientCpuMs?: number
  maxRssMb: number
  clientPeakRssMb?: number
}

/** The run with the median total time (its other numbers come along, so they stay consistent). */
function median(results: SideResult[]): SideResult {
  const sorted = [...results].sort((a, b) => a.ms - b.ms)
  return sorted[Math.floor(sorted.length / 2)] as SideResult
}

function run(mode: 'ours' | 'baseline', csv: string, work: string): SideResult {
  const dir = path.join(work, mode)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'worker.ts'), mode, csv, dir],
    {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    },
  )
  if (res.status !== 0) throw new Error(`${mode} failed:\n${res.stdout}\n${res.stderr}`)
  const line = res.stdout.trim().split('\n').pop() ?? ''
  return JSON.parse(line) as SideResult
}

/** Deterministic rows: integer, date, short text, decimal, longer text, boolean (~50 bytes a row). */
async function generate(file: string, ROWS: number): Promise<string> {
  const out = createWriteStream(file)
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve()))
  await write('id,day,category,amount,customer,active\n')
  let seed = 42
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed
  }
  let batch = ''
  for (let i = 1; i <= ROWS; i++) {
    const r = next()
    const day = `2024-${String((r % 12) + 1).padStart(2, '0')}-${String((r % 28) + 1).padStart(2, '0')}`
    batch += `${i},${day},cat_${r % 17},${(r % 100000) / 100},customer ${r % 99991},${r % 2 === 0}\n`
    if (i % 10_000 === 0) {
      await write(batch)
      batch = ''
    }
  }
  await write(batch)
  await new Promise<void>((resolve) => out.end(() => resolve()))
  return file
}
