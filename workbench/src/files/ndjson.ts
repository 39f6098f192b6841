import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { readFile, rename, stat, writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'

/** A line of an NDJSON file that is not valid JSON. */
export interface InvalidLine {
  line: number
  raw: string
  message: string
}

/** NaN and the infinities as bare values: not JSON, but DuckDB reads (and writes) them. */
const NON_FINITE = /([:,[]\s*)-?(?:NaN|Infinity)(?=\s*[,}\]])/g

/** Parses a line as DuckDB's JSON reader would accept it: standard JSON, plus NaN and ±Infinity numbers. */
function parseAsDuckdb(text: string): void {
  try {
    JSON.parse(text)
  } catch (err) {
    const finite = text.replace(NON_FINITE, '$1null')
    if (finite === text) throw err
    JSON.parse(finite)
  }
}

/** Details kept for at most this many invalid lines (all are counted). */
const MAX_DETAILS = 100_000

/**
 * Splits an NDJSON file into a copy holding only its valid lines (for DuckDB's `read_json`) and the invalid
 * lines with their line numbers. DuckDB's own `ignore_errors` turns a broken line into NULLs and can swallow the
 * next line, which would lose rows silently; this keeps every bad line as a reject instead. Streamed line by
 * line; the result is cached next to the file.
 */
export async function splitNdjson(file: string, target: string): Promise<{ clean: string; invalid: InvalidLine[] }> {
  const report = `${target}.invalid.json`
  if (await stat(report).catch(() => undefined))
    return { clean: target, invalid: JSON.parse(await readFile(report, 'utf8')) as InvalidLine[] }
  const invalid: InvalidLine[] = []
  const partial = `${target}.${randomUUID()}.tmp`
  const out = createWriteStream(partial)
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })
  let n = 0
  for await (const text of lines) {
    n++
    if (text.trim() === '') continue
    try {
      parseAsDuckdb(text)
    } catch (err) {
      if (invalid.length < MAX_DETAILS)
        invalid.push({ line: n, raw: text.slice(0, 1000), message: `Not valid JSON: ${(err as Error).message}` })
      continue
    }
    if (!out.write(`${text}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
  await rename(partial, target)
  const reportPartial = `${report}.${randomUUID()}.tmp`
  await writeFile(reportPartial, JSON.stringify(invalid))
  await rename(reportPartial, report)
  return { clean: target, invalid }
}
