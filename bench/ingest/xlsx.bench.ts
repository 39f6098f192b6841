import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import ExcelJS from 'exceljs'
import type { BenchResult } from '../harness.ts'

const ROWS = 100_000
const RUNS = 3
const ROOT = path.resolve(import.meta.dirname, '../..')

/**
 * A 100k-row workbook (the CSV case's six columns: integer, date, text, decimal, text, boolean; shared strings,
 * as Excel writes them) imported through the upload API — upload, complete (the sheet is read on a worker
 * thread), preview (the typed table is built) and import — against `pandas.read_excel` (openpyxl engine) of the
 * same file, each side in its own process.
 */
export default async function ingestXlsx(): Promise<BenchResult[]> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'wb-ingest-xlsx-'))
  try {
    const file = path.join(work, 'data.xlsx')
    await generate(file)
    const runs: { ours: SideResult[]; baseline: SideResult[] } = { ours: [], baseline: [] }
    for (let i = 0; i < RUNS; i++) {
      runs.baseline.push(run('pandas', file, work))
      runs.ours.push(run('ours', file, work))
    }
    const baseline = median(runs.baseline)
    const ours = median(runs.ours)
    if (ours.rows !== ROWS || baseline.rows !== ROWS) throw new Error(`row counts: ${ours.rows} vs ${baseline.rows}`)
    const mb = (statSync(file).size / 1024 / 1024).toFixed(1)
    return [
      {
        name: `ingest 100k-row XLSX (${mb} MB), upload+complete+preview+import vs pandas.read_excel`,
        ours: ours.ms,
        baseline: baseline.ms,
        unit: 'ms',
        notes: {
          runs: RUNS,
          oursUploadMs: Math.round(ours.uploadMs ?? 0),
          oursCompleteMs: Math.round(ours.completeMs ?? 0),
          oursPreviewMs: Math.round(ours.previewMs ?? 0),
          oursImportOnlyMs: Math.round(ours.importMs),
          oursPeakRssMb: ours.maxRssMb,
          baselinePeakRssMb: baseline.maxRssMb,
          oursServerCpuMs: Math.round(ours.cpuMs ?? 0),
          baselineCpuMs: Math.round(baseline.cpuMs ?? 0),
          rejected: ours.rejected ?? 0,
          types: ours.types ?? '',
          pandasTypes: baseline.types ?? '',
        },
      },
    ]
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

interface SideResult {
  ms: number
  importMs: number
  uploadMs?: number
  completeMs?: number
  previewMs?: number
  rows: number
  rejected?: number
  types?: string
  cpuMs?: number
  maxRssMb: number
}

function median(results: SideResult[]): SideResult {
  const sorted = [...results].sort((a, b) => a.ms - b.ms)
  return sorted[Math.floor(sorted.length / 2)] as SideResult
}

function run(mode: 'ours' | 'pandas', file: string, work: string): SideResult {
  const dir = path.join(work, mode)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'worker.ts'), mode, file, dir],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  )
  if (res.status !== 0) throw new Error(`${mode} failed:\n${res.stdout}\n${res.stderr}`)
  const result = JSON.parse(res.stdout.trim().split('\n').pop() ?? '') as SideResult
  // The preview does the conversion work the import then reuses: it counts on our side.
  return mode === 'ours' ? { ...result, ms: result.ms + (result.previewMs ?? 0) } : result
}

/** Deterministic rows, as the CSV case's generator makes them. */
async function generate(file: string): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true })
  const sheet = workbook.addWorksheet('data')
  sheet.addRow(['id', 'day', 'category', 'amount', 'customer', 'active']).commit()
  let seed = 42
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed
  }
  for (let i = 1; i <= ROWS; i++) {
    const r = next()
    const row = sheet.addRow([
      i,
      new Date(Date.UTC(2024, r % 12, (r % 28) + 1)),
      `cat_${r % 17}`,
      (r % 100000) / 100,
      `customer ${r % 99991}`,
      r % 2 === 0,
    ])
    row.getCell(2).numFmt = 'yyyy-mm-dd'
    row.commit()
  }
  sheet.commit()
  await workbook.commit()
}
