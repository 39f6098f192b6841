import { useCallback, useEffect, useState } from 'react'
import { api } from '../../core/api/client.ts'
import {
  ENCODINGS,
  type ImportResult,
  PROBLEM_LABELS,
  type Preview,
  problemPlace,
  type ReadOptions,
  type TextEncoding,
  tableNameFor,
  type UploadedFile,
} from '../../core/files/types.ts'
import { ErrorText } from '../ui/ErrorText.tsx'
import { ImportResultView } from './ImportResultView.tsx'

const DELIMITERS: [string, string][] = [
  [',', 'comma (,)'],
  [';', 'semicolon (;)'],
  ['\t', 'tab'],
  ['|', 'pipe (|)'],
]
const QUOTES: [string, string][] = [
  ['"', 'double quote (")'],
  ["'", "single quote (')"],
  ['', 'none'],
]
const ESCAPES: [string, string][] = [
  ['"', 'doubled quote ("")'],
  ["'", "doubled quote ('')"],
  ['\\', 'backslash (\\)'],
  ['', 'none'],
]
const DECIMALS: [string, string][] = [
  ['.', 'point (1.5)'],
  [',', 'comma (1,5)'],
]

/**
 * How a file will import: detected settings the user can change (encoding, delimiter, header, sheet), the
 * schema with editable names and types, the first rows, and the problems found; then the import itself.
 */
export function FilePreview({
  workspaceId,
  file,
  canImport,
  onImported,
}: {
  workspaceId: string
  file: UploadedFile
  canImport: boolean
  onImported: () => void
}) {
  const base = `/api/workspaces/${workspaceId}/files/${file.id}`
  const [options, setOptions] = useState<ReadOptions>({})
  const [preview, setPreview] = useState<Preview>()
  const [columns, setColumns] = useState<{ name: string; type: string }[]>([])
  const [error, setError] = useState<unknown>()
  const [table, setTable] = useState(tableNameFor(file.name))
  const [mode, setMode] = useState<'replace' | 'append'>('replace')
  const [result, setResult] = useState<ImportResult>()
  const [busy, setBusy] = useState(false)
  const textual = file.format !== 'parquet' && file.format !== 'json' && file.format !== 'ndjson'

  const load = useCallback(
    async (next: ReadOptions) => {
      setError(undefined)
      setBusy(true)
      try {
        const p = await api<Preview>('POST', `${base}/preview`, next)
        setPreview(p)
        setColumns(p.columns.map((c) => ({ name: c.name, type: c.type })))
      } catch (err) {
        setError(err)
      } finally {
        setBusy(false)
      }
    },
    [base],
  )
  useEffect(() => {
    void load({})
  }, [load])

  // Changing how the file is read re-detects the columns, so column corrections start over.
  const change = (patch: ReadOptions) => {
    const next = { ...options, ...patch, columns: undefined }
    setOptions(next)
    void load(next)
  }
  // The import reads the file exactly as the preview showed it: the detected settings go back with the columns.
  const withColumns = (): ReadOptions => ({
    ...(preview && textual
      ? {
          delimiter: preview.delimiter ?? undefined,
          quote: preview.quote ?? undefined,
          escape: preview.escape ?? undefined,
          decimal: preview.decimal ?? undefined,
          header: preview.header ?? undefined,
        }
      : {}),
    ...options,
    columns,
  })
  const runImport = async () => {
    setError(undefined)
    setBusy(true)
    try {
      setResult(await api<ImportResult>('POST', `${base}/import`, { table, mode, options: withColumns() }))
      onImported()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="panel stack" aria-labelledby="preview-heading">
      <h3 id="preview-heading">Preview of {file.name}</h3>
      {preview && (
        <fieldset className="inline">
          <legend>How the file is read</legend>
          {textual && file.format !== 'xlsx' && (
            <label>
              Encoding
              <select
                value={options.encoding ?? preview.encoding ?? 'utf-8'}
                onChange={(e) => change({ encoding: e.currentTarget.value as TextEncoding })}
              >
                {ENCODINGS.map((enc) => (
                  <option key={enc}>{enc}</option>
                ))}
              </select>
            </label>
          )}
          {textual && file.format !== 'xlsx' && (
            <label>
              Delimiter
              <select
                value={options.delimiter ?? preview.delimiter ?? ','}
                onChange={(e) => change({ delimiter: e.currentTarget.value })}
              >
                {DELIMITERS.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
          )}
          {textual && (
            <label>
              Quote
              <select
                aria-label="Quote character"
                value={options.quote ?? preview.quote ?? '"'}
                onChange={(e) => change({ quote: e.currentTarget.value, escape: undefined })}
              >
                {QUOTES.map(([value, label]) => (
                  <option key={label} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
          )}
          {textual && (
            <label>
              Escape
              <select
                aria-label="Escape character"
                value={options.escape ?? preview.escape ?? '"'}
                onChange={(e) => change({ escape: e.currentTarget.value })}
              >
                {ESCAPES.filter(
                  ([value]) => value === '\\' || value === '' || value === (options.quote ?? preview.quote),
                ).map(([value, label]) => (
                  <option key={label} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
          )}
          {textual && (
            <label>
              Decimal separator
              <select
                aria-label="Decimal separator"
                value={options.decimal ?? preview.decimal ?? '.'}
                onChange={(e) => change({ decimal: e.currentTarget.value === ',' ? ',' : '.' })}
              >
                {DECIMALS.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
          )}
          {textual && (
            <label>
              <input
                type="checkbox"
                checked={options.header ?? preview.header ?? true}
                onChange={(e) => change({ header: e.currentTarget.checked })}
              />{' '}
              First row is a header
            </label>
          )}
          {preview.sheets && (
            <label>
              Sheet
              <select
                value={options.sheet ?? preview.sheet ?? 0}
                // Another sheet has its own header row: the detected one applies again.
                onChange={(e) => change({ sheet: Number(e.currentTarget.value), skipRows: undefined })}
              >
                {preview.sheets.map((s) => (
                  <option key={s.index} value={s.index}>
                    {s.name} ({s.rows} rows{s.hidden ? ', hidden' : ''})
                  </option>
                ))}
              </select>
            </label>
          )}
          {preview.skipRows !== null && (
            <SkipRows
              key={`${preview.sheet}-${preview.skipRows}`}
              value={preview.skipRows}
              header={preview.header ?? true}
              detectedHeaderRow={preview.detectedHeaderRow ?? 0}
              onChange={(skipRows) => change({ skipRows })}
            />
          )}
        </fieldset>
      )}
      <ErrorText error={error} />
      {busy && <p aria-busy="true">Working…</p>}
      {preview && (
        <>
          <section aria-labelledby="problems-heading">
            <h4 id="problems-heading">
              Problems found{preview.wholeFileChecked ? '' : ' (in the first megabytes)'}: {preview.problems.length}
            </h4>
            <ul data-testid="problems">
              {preview.problems.map((p, i) => (
                <li key={i}>
                  {PROBLEM_LABELS[p.kind] ?? p.kind}
                  {problemPlace(p) ? ` ${problemPlace(p)}` : ''}
                  {p.column ? ` (column ${p.column})` : ''}: {p.message}
                </li>
              ))}
            </ul>
          </section>
          <div className="scroll-x">
            <table className="table" data-testid="preview">
              <thead>
                <tr>
                  {columns.map((c, i) => (
                    <th key={preview.columns[i]?.source ?? i}>
                      <input
                        aria-label={`Name of column ${i + 1}`}
                        value={c.name}
                        onChange={(e) => {
                          const name = e.currentTarget.value
                          setColumns((cs) => cs.map((x, j) => (j === i ? { ...x, name } : x)))
                        }}
                      />
                      <select
                        aria-label={`Type of column ${i + 1}`}
                        value={c.type}
                        onChange={(e) => {
                          const type = e.currentTarget.value
                          setColumns((cs) => cs.map((x, j) => (j === i ? { ...x, type } : x)))
                        }}
                      >
                        {typeChoices(preview, i, c.type).map((t) => (
                          <option key={t}>{t}</option>
                        ))}
                      </select>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.rows.map((row, r) => (
                  <tr key={r}>
                    {row.map((v, c) => (
                      <td key={c}>{v === null ? '' : String(v)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <button type="button" onClick={() => void load(withColumns())} disabled={busy}>
            Check the corrected schema
          </button>
          {canImport && (
            <form
              className="inline"
              aria-label="Import"
              onSubmit={(e) => {
                e.preventDefault()
                void runImport()
              }}
            >
              <label>
                Table name
                <input value={table} onChange={(e) => setTable(e.currentTarget.value)} required maxLength={63} />
              </label>
              <label>
                Mode
                <select value={mode} onChange={(e) => setMode(e.currentTarget.value as 'replace' | 'append')}>
                  <option value="replace">replace</option>
                  <option value="append">append</option>
                </select>
              </label>
              <button type="submit" disabled={busy}>
                Import
              </button>
            </form>
          )}
        </>
      )}
      {result && <ImportResultView result={result} />}
    </section>
  )
}

/**
 * Rows skipped above a sheet's table (title rows, notes, blank rows), pre-filled with what the sheet suggests;
 * applied when the field is left or Enter is pressed, so typing "12" does not preview row 1 first.
 */
function SkipRows({
  value,
  header,
  detectedHeaderRow,
  onChange,
}: {
  value: number
  header: boolean
  detectedHeaderRow: number
  onChange: (skipRows: number) => void
}) {
  const [draft, setDraft] = useState(String(value))
  const apply = () => {
    const n = Number(draft)
    if (Number.isInteger(n) && n >= 0 && n !== value) onChange(n)
  }
  return (
    <>
      <label>
        Skip rows
        <input
          type="number"
          min={0}
          value={draft}
          onChange={(e) => setDraft(e.currentTarget.value)}
          onBlur={apply}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault()
              apply()
            }
          }}
        />
      </label>
      <output data-testid="header-row">
        {header ? `Header row ${value + 1}` : `Data from row ${value + 1}`}
        {detectedHeaderRow > 0 ? ` (detected: row ${detectedHeaderRow})` : ''}
      </output>
    </>
  )
}

/** The offered types, with the detected type of column `i` (a nested JSON type, say) and the current choice. */
function typeChoices(preview: Preview, i: number, current: string): string[] {
  const detected = preview.columns[i]?.type
  const extra = [detected, current].filter((t): t is string => t !== undefined && !preview.columnTypes.includes(t))
  return [...new Set([...extra, ...preview.columnTypes])]
}
