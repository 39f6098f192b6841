import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASE_KINDS } from '../support/databases.ts'
import { createFilesFixture, type FilesFixture, filesClient } from '../support/files.ts'
import { type CorpusFile, generateCorpus } from './corpus.ts'

/** What a table holds, reduced to comparable facts: rows, names, types, and a hash of each column in order. */
interface Fingerprint {
  rows: number
  columns: { name: string; type: string; hash: string }[]
}

/** The time zone `con` shows TIMESTAMP WITH TIME ZONE values in. */
async function timeZone(con: DuckDBConnection): Promise<string> {
  return String((await con.runAndReadAll(`SELECT current_setting('TimeZone')`)).getRows()[0]?.[0])
}

/** The fingerprint of `relation` (a table, ordered by rowid: the file's order) on `con`. */
async function fingerprint(con: DuckDBConnection, relation: string): Promise<Fingerprint> {
  const described = (await con.runAndReadAll(`DESCRIBE ${relation}`)).getRowObjectsJson()
  const names = described.map((d) => String(d.column_name))
  const hashes = names.map(
    (n, i) =>
      `md5(string_agg(coalesce(CAST("${n.replaceAll('"', '""')}" AS VARCHAR), '<null>'), '|' ORDER BY rowid)) AS h${i}`,
  )
  const row = (
    await con.runAndReadAll(`SELECT count(*) AS n${hashes.length ? `, ${hashes.join(', ')}` : ''} FROM ${relation}`)
  ).getRowObjectsJson()[0] as Record<string, unknown>
  return {
    rows: Number(row.n),
    columns: described.map((d, i) => ({
      name: String(d.column_name),
      type: String(d.column_type),
      hash: String(row[`h${i}`]),
    })),
  }
}

/**
 * The differential suite: a generated corpus (every DuckDB type, nested ones in JSON and Parquet, NULLs, time
 * zones, int64 limits, special floats, encodings, dialects) goes through the real upload API as the web app
 * drives it (upload in chunks, preview, import with the preview's columns and settings), and each imported
 * table must equal DuckDB's own reader of the original file: rows, names, types and every column's values.
 */
describe.each(DATABASE_KINDS)('differential import fidelity on %s', (kind) => {
  let f: FilesFixture
  let ws: string
  let api: ReturnType<typeof filesClient>
  let reference: DuckDBInstance
  let ref: DuckDBConnection
  let corpusDir: string
  let corpus: CorpusFile[]

  beforeAll(async () => {
    f = await createFilesFixture(kind, { maxUploadBytes: 20_000_000 })
    ws = await f.members.workspace()
    api = filesClient(f.app, ws, (await f.members.member(ws, 'editor')).token)
    corpusDir = mkdtempSync(path.join(os.tmpdir(), 'wb-fidelity-'))
    reference = await DuckDBInstance.create(':memory:')
    ref = await reference.connect()
    corpus = await generateCorpus(ref, corpusDir)
  })
  afterAll(async () => {
    ref?.closeSync()
    reference?.closeSync()
    rmSync(corpusDir, { recursive: true, force: true })
    await f?.dispose()
  })

  it('imports every file of the corpus exactly as DuckDB reads it', async () => {
    const mismatches: string[] = []
    for (const [i, file] of corpus.entries()) {
      const uploaded = await api.upload(file.name, readFileSync(file.path), 4096)
      const preview = await api.call('POST', `/${uploaded.id}/preview`, file.options ?? {})
      expect(preview.status, `${file.name}: ${JSON.stringify(preview.body)}`).toBe(200)
      const p = preview.body
      // What the Files page sends: the settings the preview showed, the user's changes, the preview's columns.
      const settings = Object.fromEntries(
        Object.entries({
          delimiter: p.delimiter,
          quote: p.quote,
          escape: p.escape,
          decimal: p.decimal,
          header: p.header,
        }).filter(([, v]) => v !== null),
      )
      const columns = p.columns.map((c: { name: string; type: string }) => ({ name: c.name, type: c.type }))
      const table = `t${i}`
      const imported = await api.call('POST', `/${uploaded.id}/import`, {
        table,
        options: { ...settings, ...file.options, columns },
      })
      expect(imported.status, `${file.name}: ${JSON.stringify(imported.body)}`).toBe(200)
      if (imported.body.status !== 'succeeded' || imported.body.rowsRejected !== 0) {
        mismatches.push(
          `${file.name}: import ${imported.body.status} ${imported.body.error ?? JSON.stringify(imported.body.rejects)}`,
        )
        continue
      }

      const database = await f.duckdb(ws)
      const con = await database.connect()
      let actual: Fingerprint
      try {
        actual = await fingerprint(con, `main.${table}`)
        // Both sides render zoned values in the same zone (the workspace database's settings are locked).
        await ref.run(`SET TimeZone = '${await timeZone(con)}'`)
      } finally {
        con.closeSync()
      }
      await ref.run(`CREATE OR REPLACE TABLE ref${i} AS SELECT * FROM ${file.reference}`)
      const expected = await fingerprint(ref, `ref${i}`)
      if (actual.rows !== expected.rows) mismatches.push(`${file.name}: ${actual.rows} rows, DuckDB ${expected.rows}`)
      const length = Math.max(actual.columns.length, expected.columns.length)
      for (let c = 0; c < length; c++) {
        const a = actual.columns[c]
        const e = expected.columns[c]
        if (!a || !e) mismatches.push(`${file.name}: column ${c + 1} missing (${a?.name ?? e?.name})`)
        else if (a.name !== e.name || a.type !== e.type || a.hash !== e.hash)
          mismatches.push(
            `${file.name}: column ${c + 1}: ours ${a.name} ${a.type}${a.hash === e.hash ? '' : ' (values differ)'}, DuckDB ${e.name} ${e.type}`,
          )
      }
    }
    expect(mismatches).toEqual([])
  })
})
