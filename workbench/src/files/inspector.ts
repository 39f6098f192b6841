import { randomUUID } from 'node:crypto'
import { rename, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { quoteIdentifier, quoteLiteral } from '@workbench/kernels/duckdb'
import { AppError } from '../http/errors.ts'
import { redactServerPaths } from '../http/server-paths.ts'
import { COLUMN_TYPES, offeredType, sameType } from './column-types.ts'
import { type CsvDialect, sniffDialect, splitLine } from './dialect.ts'
import { head, type TextEncoding, utf8Version } from './encoding.ts'
import { type InvalidLine, splitNdjson } from './ndjson.ts'
import {
  castSelect,
  inferType,
  type ProfiledType,
  readCsvSql,
  readRawSql,
  type SourceColumn,
  type SourceSpec,
  typeProfileSql,
} from './sources.ts'
import type { FileRecord } from './upload-service.ts'
import { prepareSheet, type SheetRead } from './xlsx-source.ts'

/** What the user may correct before an import; anything left out is detected. */
export interface ReadOptions {
  encoding?: TextEncoding
  delimiter?: string
  /** Quote character; empty for none. */
  quote?: string
  /** Escape character inside quoted values; the quote itself (doubled quotes) unless given. */
  escape?: string
  /** Decimal separator of numbers. */
  decimal?: '.' | ','
  header?: boolean
  /** Worksheet index of a workbook (0-based, in the workbook's tab order). */
  sheet?: number
  /** Rows of the sheet skipped above its header (or above its data with `header: false`); detected if left out. */
  skipRows?: number
  /** Names and types of the columns, in file order (same count as detected): an offered type or the detected one. */
  columns?: { name: string; type: string }[]
}

/** Something wrong in the file: shown in the preview, and the reason a row is rejected on import. */
export interface Problem {
  kind:
    | 'ragged_row'
    | 'broken_quote'
    | 'cast'
    | 'inexact'
    | 'mixed_types'
    | 'invalid_encoding'
    | 'invalid_json'
    | 'cell_error'
    | 'merged_cells'
    | 'other'
  /** Line in the file (1-based, header included) when DuckDB's reader reports it. */
  line?: number
  /** Lines of the file the problem covers, when more than one (a quoted value running over line breaks). */
  lines?: number
  /** Data row (1-based) for problems found after parsing (self-describing formats, type profiles). */
  row?: number
  column?: string
  message: string
  raw?: string
}

/** Rows profiled as text when DuckDB's sniffer cannot type a file, and for mixed-type warnings. */
const PROFILE_ROWS = 20_000

/** A file resolved for reading: the DuckDB source, the dialect and encoding in force, and the sample used. */
export interface Resolved {
  spec: SourceSpec
  encoding: TextEncoding | null
  sheet: number | null
  /** For a worksheet: which of its rows make the table. */
  sheetRead?: SheetRead
  /** Warnings from profiling the sample (mixed types), or what a worksheet's cells lose (errors, merges). */
  warnings: Problem[]
  /** Column types as the file declares them (Parquet, JSON) or as DuckDB's sniffer detected them (CSV). */
  detected: Map<string, string>
  /** `lines`: how many lines a partial sample holds (its last record may be cut). */
  sample: { path: string; wholeFile: boolean; lines?: number }
  /** NDJSON lines that are not JSON: left out of the source, rejected with their line numbers. */
  invalidLines?: InvalidLine[]
}

/** Profiling and problem-finding read at most this much of a file; smaller files are read whole. */
export const SAMPLE_BYTES = 4 * 1024 * 1024
const MAX_PROBLEMS = 200

/**
 * Works out how to read a file with DuckDB: transcodes to UTF-8 if needed, sniffs the dialect, infers column
 * types from a sample, then applies the user's corrections. Runs on `con` (temp tables live there).
 */
export async function resolveSource(
  con: DuckDBConnection,
  file: FileRecord,
  fileDir: string,
  options: ReadOptions,
  purpose: 'preview' | 'import',
): Promise<Resolved> {
  if (!file.format) throw new AppError(409, 'file_not_ready', 'The upload is not complete')
  const original = path.join(fileDir, 'original')
  if (file.format === 'parquet') return resolveSelfDescribing(con, 'parquet', original, null, options)
  if (file.format === 'xlsx') {
    // A worksheet becomes a typed Parquet table of the chosen rows, then reads as any Parquet upload.
    const prepared = await prepareSheet(con, file, fileDir, options)
    return {
      ...(await resolveSelfDescribing(con, 'parquet', prepared.parquet, null, options)),
      sheet: prepared.index,
      sheetRead: prepared.read,
      warnings: prepared.warnings,
    }
  }
  const encoding: TextEncoding | null = options.encoding ?? file.encoding
  const sheet: number | null = null
  const enc = encoding ?? 'utf-8'
  // DuckDB's CSV reader skips a UTF-8 byte-order mark itself (line numbers unchanged): no copy needed.
  const direct = enc === 'utf-8-bom' && (file.format === 'csv' || file.format === 'tsv')
  const csvPath = direct ? original : await utf8Version(original, enc, path.join(fileDir, `utf8-${enc}.txt`))
  if (file.format === 'json') return resolveSelfDescribing(con, 'json', csvPath, encoding, options)
  if (file.format === 'ndjson') {
    const { clean, invalid } = await splitNdjson(csvPath, path.join(fileDir, `clean-${enc}.ndjson`))
    return { ...(await resolveSelfDescribing(con, 'json', clean, encoding, options)), invalidLines: invalid }
  }

  const text = (await head(csvPath, 256 * 1024)).toString('utf8').replace(/^\uFEFF/, '')
  const sniffed = sniffDialect(text, file.format === 'tsv' ? '.tsv' : file.name)
  const quote = options.quote ?? sniffed.quote
  const dialect: CsvDialect = {
    delimiter: options.delimiter ?? sniffed.delimiter,
    quote,
    escape: options.escape ?? (options.quote === undefined ? sniffed.escape : quote),
    header: options.header ?? sniffed.header,
    decimal: options.decimal ?? sniffed.decimal,
  }
  if (dialect.quote !== '' && dialect.quote === dialect.delimiter)
    throw new AppError(400, 'invalid_dialect', 'The quote character must differ from the delimiter')
  const firstLine = text.split(/\r?\n/, 1)[0] ?? ''
  const headerCells = splitLine(firstLine, dialect.delimiter, dialect.quote)
  // A NUL byte ends a string for DuckDB's C parser: a column named with one would break the reading SQL.
  const nul = dialect.header ? headerCells.findIndex((cell) => cell.includes('\u0000')) : -1
  if (nul >= 0)
    throw new AppError(400, 'validation_failed', `Invalid request: header: column ${nul + 1} contains a NUL byte`, {
      fields: [{ field: `header.${nul}`, message: 'a column name must not contain a NUL byte' }],
    })
  const names = columnNames(headerCells, dialect.header)
  const draft: Extract<SourceSpec, { kind: 'csv' }> = {
    kind: 'csv',
    path: csvPath,
    dialect,
    columns: names.map((n) => ({ source: n, name: n, type: 'VARCHAR' })),
  }
  // DuckDB's sniffer types the columns fast once told the dialect, with every type it knows (TIMESTAMP WITH
  // TIME ZONE, TIME, ...), kept as it says. It gives up on broken files, and then (or for a preview's mixed-type
  // warnings) columns are profiled as text over the first rows. An import whose request names an offered type
  // for every column (what the preview sends back) needs no profile; the sniff still tells which of those types
  // the user changed, whose conversions are then checked for exactness before anything is written.
  const sniffedTypes = await sniffTypes(con, draft)
  const given = purpose === 'import' && typesGiven(options.columns, names.length)
  const profiled = sniffedTypes ? names.filter((_, i) => sniffedTypes[i] === 'VARCHAR') : names
  const warnings: Problem[] = []
  let types: string[] = sniffedTypes ?? names.map(() => 'VARCHAR')
  if (profiled.length > 0 && !given && (!sniffedTypes || purpose === 'preview')) {
    await con.run('DROP TABLE IF EXISTS __wb_sample')
    await con.run(
      `CREATE TEMP TABLE __wb_sample AS SELECT * FROM ${readCsvSql(draft, { table: '__wb_sample_rj', scan: '__wb_sample_rs' }, { allText: true })} LIMIT ${PROFILE_ROWS}`,
    )
    const profile =
      (await con.runAndReadAll(typeProfileSql('__wb_sample', profiled, dialect.decimal))).getRowObjectsJson()[0] ?? {}
    const numbers = Object.fromEntries(Object.entries(profile).map(([k, v]) => [k, Number(v)]))
    const byName = new Map<string, ProfiledType>()
    for (const [i, name] of profiled.entries()) {
      const inferred = inferType(numbers, i)
      byName.set(name, inferred.type)
      if (inferred.mixed && purpose === 'preview') warnings.push(await mixedWarning(con, name, inferred.mixed))
    }
    if (!sniffedTypes) types = names.map((n) => byName.get(n) ?? 'VARCHAR')
  }
  const columns: SourceColumn[] = names.map((name, i) => ({ source: name, name, type: types[i] ?? 'VARCHAR' }))
  const sample = purpose === 'preview' ? await sampleOf(csvPath) : { path: csvPath, wholeFile: true }
  // Without a sniff, nothing is known to be detected: every typed column's conversion is checked.
  const detected = new Map(sniffedTypes ? columns.map((c) => [c.source, c.type]) : [])
  return {
    spec: { ...draft, columns: applyCorrections(columns, options.columns) },
    encoding,
    sheet,
    warnings,
    detected,
    sample,
  }
}

async function resolveSelfDescribing(
  con: DuckDBConnection,
  kind: 'parquet' | 'json',
  file: string,
  encoding: TextEncoding | null,
  options: ReadOptions,
): Promise<Resolved> {
  let described: Record<string, unknown>[]
  try {
    described = (await con.runAndReadAll(`DESCRIBE SELECT * FROM ${readRawSql(kind, file)}`)).getRowObjectsJson()
  } catch (err) {
    throw new AppError(400, kind === 'json' ? 'invalid_json' : 'unreadable_file', duckdbMessage(err))
  }
  const columns = described.map((d) => ({
    source: String(d.column_name),
    name: String(d.column_name),
    type: String(d.column_type),
  }))
  return {
    spec: { kind, path: file, columns: applyCorrections(columns, options.columns) },
    encoding,
    sheet: null,
    warnings: [],
    detected: new Map(columns.map((c) => [c.source, c.type])),
    sample: { path: file, wholeFile: true },
  }
}

/**
 * Column types from DuckDB's `sniff_csv` with the dialect fixed, exactly as it detects them, or undefined when
 * it cannot read the file.
 */
async function sniffTypes(
  con: DuckDBConnection,
  spec: Extract<SourceSpec, { kind: 'csv' }>,
): Promise<string[] | undefined> {
  const { dialect } = spec
  try {
    const rows = (
      await con.runAndReadAll(
        `SELECT Columns FROM sniff_csv(${quoteLiteral(spec.path)}, delim = ${quoteLiteral(dialect.delimiter)}, quote = ${quoteLiteral(dialect.quote)}, escape = ${quoteLiteral(dialect.escape)}, header = ${dialect.header}, decimal_separator = ${quoteLiteral(dialect.decimal)})`,
      )
    ).getRowObjectsJson()
    const columns = rows[0]?.Columns as { type: string }[] | undefined
    if (!columns || columns.length !== spec.columns.length) return undefined
    // Only offered types reach the reading SQL (the sniffer detects no nested types in text).
    return columns.map((c) => offeredType(c.type) ?? 'VARCHAR')
  } catch {
    return undefined
  }
}

/** The user gave one of the offered types for each of the `count` columns (so none needs profiling). */
function typesGiven(columns: ReadOptions['columns'], count: number): boolean {
  return columns !== undefined && columns.length === count && columns.every((c) => offeredType(c.type) !== undefined)
}

/** The user's names and types over the detected columns, validated. */
function applyCorrections(detected: SourceColumn[], corrections: ReadOptions['columns']): SourceColumn[] {
  if (!corrections) return detected
  if (corrections.length !== detected.length)
    throw new AppError(
      400,
      'columns_mismatch',
      `The file has ${detected.length} columns; ${corrections.length} were given`,
      { detected: detected.map((c) => c.source) },
    )
  const seen = new Set<string>()
  for (const [i, c] of corrections.entries()) {
    const key = c.name.toLowerCase()
    if (seen.has(key)) throw new AppError(400, 'duplicate_column', `Two columns are named ${c.name}`)
    seen.add(key)
    // Only the offered types, or the one detected (a nested type of a JSON file, say), ever reach SQL.
    const detectedType = detected[i]?.type ?? ''
    if (offeredType(c.type) === undefined && !sameType(c.type, detectedType))
      throw new AppError(
        400,
        'invalid_column_type',
        `Column ${c.name}: choose one of ${COLUMN_TYPES.join(', ')}, DECIMAL(p,s), or the detected type`,
        { column: i, detected: detectedType },
      )
  }
  return detected.map((d, i) => ({
    ...d,
    name: corrections[i]?.name ?? d.name,
    type: pickType(corrections[i]?.type, d.type),
  }))
}

/** The detected type exactly as DuckDB wrote it when that is the choice, else the offered type's spelling. */
function pickType(chosen: string | undefined, detected: string): string {
  if (chosen === undefined || sameType(chosen, detected)) return detected
  return offeredType(chosen) ?? detected
}

/** Header values made into usable, distinct column names (DuckDB's `column<N>` when there is no header). */
function columnNames(first: string[], header: boolean): string[] {
  const seen = new Set<string>()
  return first.map((raw, i) => {
    let name = header ? raw.trim() : `column${i}`
    if (name === '') name = `column${i}`
    let unique = name
    for (let n = 2; seen.has(unique.toLowerCase()); n++) unique = `${name}_${n}`
    seen.add(unique.toLowerCase())
    return unique
  })
}

/** The head of a UTF-8 file cut at a line break, or the file itself when it is small. */
async function sampleOf(file: string): Promise<{ path: string; wholeFile: boolean; lines?: number }> {
  const { size } = await stat(file)
  if (size <= SAMPLE_BYTES) return { path: file, wholeFile: true }
  const target = `${file}.sample`
  const bytes = await head(file, SAMPLE_BYTES)
  const kept = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1)
  let lines = 0
  for (const byte of kept) if (byte === 0x0a) lines++
  if (!(await stat(target).catch(() => undefined))) {
    const partial = `${target}.${randomUUID()}.tmp`
    await writeFile(partial, kept)
    await rename(partial, target)
  }
  return { path: target, wholeFile: false, lines }
}

async function mixedWarning(
  con: DuckDBConnection,
  column: string,
  mixed: { type: ProfiledType; share: number },
): Promise<Problem> {
  const c = quoteIdentifier(column)
  const rows = (
    await con.runAndReadAll(
      `SELECT rowid + 1 AS row, ${c} AS value FROM __wb_sample WHERE ${c} IS NOT NULL AND TRY_CAST(${c} AS ${mixed.type}) IS NULL ORDER BY rowid LIMIT 3`,
    )
  ).getRowObjectsJson()
  const examples = rows.map((r) => `row ${r.row}: ${JSON.stringify(r.value)}`).join(', ')
  return {
    kind: 'mixed_types',
    column,
    row: rows[0] ? Number(rows[0].row) : undefined,
    message: `Column ${column} is ${Math.round(mixed.share * 100)}% ${mixed.type} but not all of it (${examples}); it is read as VARCHAR unless you choose ${mixed.type}, which rejects those rows`,
  }
}

/** Rows of a Parquet/JSON source that fail the user's type changes (or would change in them), as problems. */
export async function castProblems(
  con: DuckDBConnection,
  spec: Extract<SourceSpec, { kind: 'parquet' | 'json' }>,
  sourceTypes: Map<string, string>,
  limit: number,
): Promise<Problem[]> {
  const { checks } = castSelect(spec.columns, sourceTypes)
  const problems: Problem[] = []
  for (const check of checks) {
    const rows = (
      await con.runAndReadAll(
        `SELECT __row, CAST(src.${quoteIdentifier(check.column.source)} AS VARCHAR) AS value, ${check.reason} AS reason FROM (SELECT *, row_number() OVER () AS __row FROM ${readRawSql(spec.kind, spec.path)} LIMIT ${limit}) src WHERE ${check.failed} LIMIT ${MAX_PROBLEMS}`,
      )
    ).getRowObjectsJson()
    for (const r of rows)
      problems.push({
        kind: check.kind,
        row: Number(r.__row),
        column: check.column.name,
        message: String(r.reason),
        raw: String(r.value),
      })
  }
  return problems.sort((a, b) => (a.row ?? 0) - (b.row ?? 0)).slice(0, MAX_PROBLEMS)
}

/** A DuckDB error message without the "Possible fixes" essay, nor the server paths of the files it read. */
export function duckdbMessage(err: unknown): string {
  const message = redactServerPaths(err instanceof Error ? err.message : String(err))
  return message.split('\n\nPossible fixes')[0]?.split('\nPossible fixes')[0]?.trim() ?? message
}
