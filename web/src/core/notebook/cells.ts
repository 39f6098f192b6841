import type { YCellType, YNotebook } from '@jupyter/ydoc'
import type { ChartChoice } from './chart-spec.ts'

/** What the user picks for a cell; SQL cells are `%%sql` code cells (ARCHITECTURE.md §4). */
export type CellKind = 'sql' | 'python' | 'markdown' | 'raw'

export interface SqlSettings {
  type: 'sql'
  connection: string
  output?: string
}

/** The workbench metadata of a SQL cell, or undefined for any other cell. */
export function sqlSettings(cell: YCellType): SqlSettings | undefined {
  const wb = cell.getMetadata('workbench') as Partial<SqlSettings> | undefined
  if (wb?.type === 'sql') return { type: 'sql', connection: wb.connection ?? 'duckdb', output: wb.output }
  if (cell.cell_type === 'code' && cell.ysource.toString().startsWith('%%sql'))
    return { type: 'sql', connection: 'duckdb' }
  return undefined
}

export function cellKind(cell: YCellType): CellKind {
  if (cell.cell_type === 'markdown') return 'markdown'
  if (cell.cell_type === 'raw') return 'raw'
  return sqlSettings(cell) ? 'sql' : 'python'
}

/** The magic line a SQL cell starts with (jupysql: `%%sql out <<` binds the result to `out`). */
export function sqlMagic(output?: string): string {
  return output ? `%%sql ${output} <<` : '%%sql'
}

function stripMagic(source: string): string {
  return source.startsWith('%%sql') ? source.slice(source.indexOf('\n') + 1 || source.length) : source
}

function withMagic(source: string, output?: string): string {
  return `${sqlMagic(output)}\n${stripMagic(source)}`
}

/** A new cell's JSON for `kind`, with `source` (without magic). */
export function cellSpec(kind: CellKind, source = '', id?: string) {
  const idPart = id ? { id } : {}
  switch (kind) {
    case 'sql':
      return {
        ...idPart,
        cell_type: 'code',
        source: withMagic(source),
        metadata: { workbench: { type: 'sql', connection: 'duckdb' } },
      }
    case 'python':
      return { ...idPart, cell_type: 'code', source, metadata: {} }
    case 'markdown':
      return { ...idPart, cell_type: 'markdown', source, metadata: {} }
    case 'raw':
      return { ...idPart, cell_type: 'raw', source, metadata: {} }
  }
}

/** Inserts a new cell of `kind` at `index` and returns its id. */
export function insertCell(nb: YNotebook, index: number, kind: CellKind, source = ''): string {
  return nb.insertCell(index, cellSpec(kind, source)).id
}

/** Changes a cell's kind in place (same position and id), keeping its text. */
export function setKind(nb: YNotebook, index: number, kind: CellKind): void {
  const cell = nb.getCell(index)
  if (!cell || cellKind(cell) === kind) return
  const source = stripMagic(cell.ysource.toString())
  const id = cell.id
  nb.transact(() => {
    nb.deleteCell(index)
    nb.insertCell(index, cellSpec(kind, source, id))
  })
}

/** Splits cell `index` at character `offset`: the text after it goes to a new cell of the same kind below. */
export function splitCell(nb: YNotebook, index: number, offset: number): string | undefined {
  const cell = nb.getCell(index)
  if (!cell) return undefined
  const kind = cellKind(cell)
  const text = cell.ysource.toString()
  const before = text.slice(0, offset).replace(/\n$/, '')
  const after = text.slice(offset).replace(/^\n/, '')
  let id: string | undefined
  nb.transact(() => {
    cell.ysource.delete(before.length, text.length - before.length)
    id = nb.insertCell(index + 1, cellSpec(kind, after)).id
  })
  return id
}

/** Merges cell `index` with the one below (the lower cell's text is appended; its magic line dropped). */
export function mergeWithNext(nb: YNotebook, index: number): void {
  const cell = nb.getCell(index)
  const next = nb.getCell(index + 1)
  if (!cell || !next) return
  const addition = stripMagic(next.ysource.toString())
  nb.transact(() => {
    const text = cell.ysource.toString()
    cell.ysource.insert(text.length, `${text && !text.endsWith('\n') ? '\n' : ''}${addition}`)
    nb.deleteCell(index + 1)
  })
}

type Json = Parameters<YCellType['setMetadata']>[1]
type JsonObject = { [key: string]: Json | undefined }

function workbenchMetadata(cell: YCellType): JsonObject {
  const wb = cell.getMetadata('workbench')
  return wb && typeof wb === 'object' && !Array.isArray(wb) ? wb : {}
}

/** The cell's saved chart (kept when the SQL settings change). */
function chartOf(cell: YCellType): JsonObject {
  const chart = workbenchMetadata(cell).chart
  return chart === undefined ? {} : { chart }
}

/** Saves (or with undefined removes) the cell's chart: `metadata.workbench.chart`, redrawn from each result. */
export function setChart(cell: YCellType, chart: ChartChoice | undefined): void {
  const { chart: _old, ...rest } = workbenchMetadata(cell)
  const value: JsonObject = {
    kind: chart?.kind,
    x: chart?.x,
    y: chart?.y,
    color: chart?.color,
    aggregate: chart?.aggregate,
  }
  cell.setMetadata('workbench', chart ? { ...rest, chart: value } : rest)
}

/** Sets a SQL cell's connection (metadata.workbench.connection). */
export function setConnection(cell: YCellType, connection: string): void {
  const current = sqlSettings(cell) ?? { type: 'sql' as const, connection }
  cell.setMetadata('workbench', {
    ...current,
    connection,
    ...(current.output ? { output: current.output } : {}),
    ...chartOf(cell),
  })
}

/** Binds a SQL cell's result to a Python variable: metadata.workbench.output and the magic line agree. */
export function setSqlOutput(cell: YCellType, output: string): void {
  const name = output.trim()
  const current = sqlSettings(cell) ?? { type: 'sql' as const, connection: 'duckdb' }
  const next: JsonObject = { type: 'sql', connection: current.connection, ...chartOf(cell) }
  if (name) next.output = name
  const text = cell.ysource.toString()
  const firstLineEnd = text.startsWith('%%sql') ? (text.indexOf('\n') === -1 ? text.length : text.indexOf('\n')) : 0
  cell.ysource.doc?.transact(() => {
    cell.setMetadata('workbench', next)
    cell.ysource.delete(0, firstLineEnd)
    cell.ysource.insert(0, sqlMagic(name || undefined) + (firstLineEnd === 0 ? '\n' : ''))
  })
}

/** A Python identifier (what a SQL result may be bound to). */
export function isIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
}
