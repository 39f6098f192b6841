import { randomUUID } from 'node:crypto'
import { YNotebook } from '@jupyter/ydoc'
import { type INotebookContent, type IOutput, isStream } from '@jupyterlab/nbformat'
import AjvModule, { type ValidateFunction } from 'ajv-draft-04'
import * as Y from 'yjs'
import { findNul } from '../http/validation.ts'
import { type ExactNumber, findInexactNumbers, stringifyWithExactNumbers } from './exact-numbers.ts'
import schema0 from './nbformat-schemas/nbformat.v4.0.schema.json' with { type: 'json' }
import schema1 from './nbformat-schemas/nbformat.v4.1.schema.json' with { type: 'json' }
import schema2 from './nbformat-schemas/nbformat.v4.2.schema.json' with { type: 'json' }
import schema3 from './nbformat-schemas/nbformat.v4.3.schema.json' with { type: 'json' }
import schema4 from './nbformat-schemas/nbformat.v4.4.schema.json' with { type: 'json' }
import schema5 from './nbformat-schemas/nbformat.v4.5.schema.json' with { type: 'json' }

/** Why a file is not a notebook we can take, one line per problem. */
export class IpynbError extends Error {
  constructor(readonly problems: string[]) {
    super(`Not a valid .ipynb notebook: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}`)
    this.name = 'IpynbError'
  }
}

/** The notebook has more cells than an import takes. */
export class IpynbTooLargeError extends Error {
  constructor(
    readonly cells: number,
    readonly maxCells: number,
  ) {
    super(`The notebook has ${cells} cells; imports take at most ${maxCells}`)
    this.name = 'IpynbTooLargeError'
  }
}

/** Cells an imported notebook may have (a live document of more is not workable in the browser either). */
export const DEFAULT_MAX_IMPORT_CELLS = 10_000

// nbformat's own schemas (BSD-3-Clause, copied from the nbformat package), draft-04 like the originals. A notebook
// is checked against the schema of its own minor version, as nbformat does, before it is upgraded to 4.5.
const Ajv = AjvModule.default
const ajv = new Ajv({ allErrors: true, strict: false })
const SCHEMAS: Record<number, Record<string, unknown>> = {
  0: schema0,
  1: schema1,
  2: schema2,
  3: schema3,
  4: schema4,
  5: schema5,
}
/** The newest minor version this server writes; newer notebooks are read as it. */
export const NBFORMAT_MINOR = 5
const validators = new Map<string, ValidateFunction>()

/**
 * The validator nbformat uses for a 4.`minor` notebook. For a minor from the future (4.6 and up), nbformat takes
 * the newest schema, allows properties it does not know and cells and outputs of types it does not know.
 */
function validatorFor(minor: number): ValidateFunction {
  const future = minor > NBFORMAT_MINOR
  const key = future ? 'future' : String(minor)
  let validate = validators.get(key)
  if (!validate) {
    const base = SCHEMAS[future ? NBFORMAT_MINOR : minor]
    if (!base) throw new IpynbError([`nbformat 4.${minor} has no schema`])
    validate = ajv.compile(future ? relaxForFuture(structuredClone(base)) : base)
    validators.set(key, validate)
  }
  return validate
}

/** nbformat's `_relax_additional_properties` and `_allow_undefined`, for notebooks of a newer minor version. */
function relaxForFuture(schema: Record<string, unknown>): Record<string, unknown> {
  const relax = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(relax)
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>
      for (const key of Object.keys(record)) {
        if (key === 'additionalProperties') record[key] = true
        else relax(record[key])
      }
    }
  }
  relax(schema)
  const definitions = schema.definitions as Record<string, { oneOf: unknown[] }>
  definitions.cell?.oneOf.push({ $ref: '#/definitions/unrecognized_cell' })
  definitions.output?.oneOf.push({ $ref: '#/definitions/unrecognized_output' })
  return schema
}

/** Problems found by the nbformat 4.`minor` JSON schema (4.5 by default), as `path: message` lines; empty when valid. */
export function validateNotebook(notebook: unknown, minor = NBFORMAT_MINOR): string[] {
  const validate = validatorFor(minor)
  if (validate(notebook)) return []
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`)
}

/** A notebook as an import takes it: nbformat 4.5, repaired where nbformat repairs, and what was done to it. */
export interface ParsedIpynb {
  notebook: INotebookContent
  /** What was repaired or dropped on the way in, one line each (shown to whoever imported it). */
  warnings: string[]
  /** Numbers a JavaScript number would write back differently, by cell id (`''`: the notebook itself). */
  exactNumbers: ExactNumbersByCell
}

/** {@link ExactNumber}s grouped by owner: key `''` holds paths from the notebook root, a cell id paths from the cell. */
export type ExactNumbersByCell = Record<string, ExactNumber[]>

/**
 * Parses an uploaded .ipynb as nbformat reads it: JSON, nbformat 4, cell ids made present and unique (nbformat's
 * `normalize`), validated against the schema of its own minor version (a newer minor than 4.5 with the relaxed
 * schema nbformat uses, and a warning), then upgraded to 4.5. Throws an {@link IpynbError} listing what is wrong.
 */
export function parseIpynb(text: string, options: { maxCells?: number } = {}): ParsedIpynb {
  const maxCells = options.maxCells ?? DEFAULT_MAX_IMPORT_CELLS
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new IpynbError([`not JSON: ${err instanceof Error ? err.message : String(err)}`])
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new IpynbError(['not a JSON object'])
  // Stored text (search content, names) cannot hold NUL bytes, and no notebook needs one.
  const nul = findNul(value)
  if (nul) throw new IpynbError([`${nul}: contains a NUL byte`])
  const notebook = value as Record<string, unknown>
  // Before the schema walks every cell: the bound is what keeps an import's cost bounded.
  if (Array.isArray(notebook.cells) && notebook.cells.length > maxCells)
    throw new IpynbTooLargeError(notebook.cells.length, maxCells)
  if (notebook.nbformat !== 4) {
    throw new IpynbError([`nbformat ${String(notebook.nbformat)} is not supported: convert it to nbformat 4 first`])
  }
  const minor = notebook.nbformat_minor
  if (typeof minor !== 'number' || !Number.isInteger(minor) || minor < 0)
    throw new IpynbError(['/nbformat_minor: must be a non-negative integer'])
  const cells = Array.isArray(notebook.cells) ? notebook.cells : []
  const warnings: string[] = []
  if (minor >= NBFORMAT_MINOR) warnings.push(...repairCellIds(cells))
  const problems = validateNotebook(notebook, minor)
  if (problems.length > 0) throw new IpynbError(problems)
  const exact = groupByCell(findInexactNumbers(text))
  if (minor < NBFORMAT_MINOR) {
    // nbformat's upgrade to 4.5: every cell gets a new id (4.4 and older have none).
    for (const cell of cells) (cell as Record<string, unknown>).id = cellId()
  } else if (minor > NBFORMAT_MINOR) {
    warnings.push(
      `The notebook is nbformat 4.${minor}, newer than 4.${NBFORMAT_MINOR}: it was read as 4.${NBFORMAT_MINOR}` +
        ' (as nbformat does); what 4.5 has no place for is not kept',
    )
    warnings.push(...downgradeUnknownTypes(cells, exact))
  }
  notebook.nbformat_minor = NBFORMAT_MINOR
  const exactNumbers: ExactNumbersByCell = {}
  if (exact.notebook.length > 0) exactNumbers[''] = exact.notebook
  for (const [index, numbers] of exact.cells) {
    const id = (cells[index] as { id?: unknown } | undefined)?.id
    if (typeof id === 'string') exactNumbers[id] = numbers
  }
  return { notebook: notebook as unknown as INotebookContent, warnings, exactNumbers }
}

/**
 * nbformat's `normalize` for 4.5 and newer: a cell without an id gets one, a cell whose id an earlier cell already
 * has gets a new one (ids key run state, comments and collaboration, so they must be unique).
 */
function repairCellIds(cells: unknown[]): string[] {
  const warnings: string[] = []
  let missing = 0
  const seen = new Set<string>()
  for (const cell of cells) {
    if (!cell || typeof cell !== 'object' || Array.isArray(cell)) continue
    const record = cell as Record<string, unknown>
    if (!('id' in record)) {
      record.id = cellId()
      missing++
    } else if (typeof record.id === 'string' && seen.has(record.id)) {
      const repaired = cellId()
      warnings.push(`Non-unique cell id '${record.id}' detected. Corrected to '${repaired}'.`)
      record.id = repaired
    }
    if (typeof record.id === 'string') seen.add(record.id)
  }
  if (missing > 0) warnings.unshift(`${missing} cell(s) had no id and were given one`)
  return warnings
}

/**
 * A newer minor version may have cell and output types 4.5 does not: such a cell is kept as a raw cell (its source
 * stays readable), such an output is dropped, each with a warning. `exact` follows the outputs that move.
 */
function downgradeUnknownTypes(cells: unknown[], exact: GroupedNumbers): string[] {
  const warnings: string[] = []
  cells.forEach((cell, index) => {
    const record = cell as Record<string, unknown>
    if (!['code', 'markdown', 'raw'].includes(record.cell_type as string)) {
      warnings.push(`Cell ${index + 1} has cell type '${String(record.cell_type)}', kept as a raw cell`)
      const source = record.source
      cells[index] = {
        id: record.id,
        cell_type: 'raw',
        metadata: record.metadata,
        source: typeof source === 'string' || Array.isArray(source) ? source : '',
      }
      exact.cells.set(index, exact.cells.get(index)?.filter((n) => n.path[0] === 'metadata') ?? [])
      return
    }
    if (record.cell_type !== 'code' || !Array.isArray(record.outputs)) return
    const outputs = record.outputs as { output_type?: unknown }[]
    const newIndex = new Map<number, number>()
    const kept = outputs.filter((output, i) => {
      const known = ['execute_result', 'display_data', 'stream', 'error'].includes(output.output_type as string)
      if (known) newIndex.set(i, newIndex.size)
      else warnings.push(`Cell ${index + 1} has an output of type '${String(output.output_type)}', dropped`)
      return known
    })
    if (kept.length === outputs.length) return
    record.outputs = kept
    const numbers = exact.cells.get(index)
    if (!numbers) return
    exact.cells.set(
      index,
      numbers.flatMap((n) => {
        if (n.path[0] !== 'outputs') return [n]
        const moved = newIndex.get(n.path[1] as number)
        return moved === undefined ? [] : [{ ...n, path: ['outputs', moved, ...n.path.slice(2)] }]
      }),
    )
  })
  return warnings
}

interface GroupedNumbers {
  notebook: ExactNumber[]
  /** By cell index, paths from the cell. */
  cells: Map<number, ExactNumber[]>
}

function groupByCell(numbers: ExactNumber[]): GroupedNumbers {
  const grouped: GroupedNumbers = { notebook: [], cells: new Map() }
  for (const n of numbers) {
    if (n.path[0] === 'cells' && typeof n.path[1] === 'number') {
      const list = grouped.cells.get(n.path[1]) ?? []
      list.push({ path: n.path.slice(2), text: n.text })
      grouped.cells.set(n.path[1], list)
    } else grouped.notebook.push(n)
  }
  return grouped
}

/**
 * Cells inserted per Yjs transaction. YNotebook observes its cell array through `event.changes`, which Yjs builds
 * by concatenating the inserted items one by one (quadratic in the cells of one transaction: 16,000 cells took
 * 29 s, 150,000 over 20 minutes); small batches keep the whole conversion linear.
 */
const CELLS_PER_TRANSACTION = 256

/**
 * Where a document keeps the source text of numbers a JavaScript number cannot hold (`1.0`, `-0.0`, integers past
 * 2^53): a top-level map beside the YNotebook, keyed like {@link ExactNumbersByCell}, so that export writes them
 * back as they were imported. Collaborators and kernels see ordinary numbers.
 */
export const EXACT_NUMBERS_MAP = 'exactNumbers'

/**
 * The Yjs update that creates `notebook` in an empty document (the YNotebook schema of @jupyter/ydoc), with the
 * exact text of the numbers in `exactNumbers`.
 */
export function notebookToUpdate(notebook: INotebookContent, exactNumbers: ExactNumbersByCell = {}): Uint8Array {
  const ynotebook = new YNotebook({})
  try {
    const exact = ynotebook.ydoc.getMap<ExactNumber[]>(EXACT_NUMBERS_MAP)
    for (const [owner, numbers] of Object.entries(exactNumbers)) exact.set(owner, numbers)
    const joined = joinStreamText(notebook)
    // What YNotebook.fromJSON does, with the cells inserted batch by batch.
    ynotebook.fromJSON({ ...joined, cells: [] })
    const useId = joined.nbformat === 4 && joined.nbformat_minor >= 5
    const cells = useId
      ? joined.cells
      : joined.cells.map(({ id: _id, ...cell }) => cell as typeof cell & { id?: string })
    for (let i = 0; i < cells.length; i += CELLS_PER_TRANSACTION)
      ynotebook.insertCells(ynotebook.cells.length, cells.slice(i, i + CELLS_PER_TRANSACTION))
    return Y.encodeStateAsUpdate(ynotebook.ydoc)
  } finally {
    ynotebook.dispose()
  }
}

/** Text that content search looks in: every cell's source. */
export function searchableText(notebook: INotebookContent): string {
  return notebook.cells.map((cell) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source)).join('\n')
}

/** A parsed, validated and converted import: the initial document, its search text and what was repaired. */
export interface PreparedNotebook {
  update: Uint8Array
  contentText: string
  warnings: string[]
}

/** Parse, validate and convert an uploaded .ipynb (what the import worker thread runs). */
export function prepareImport(text: string, options: { maxCells?: number } = {}): PreparedNotebook {
  const { notebook, warnings, exactNumbers } = parseIpynb(text, options)
  return { update: notebookToUpdate(notebook, exactNumbers), contentText: searchableText(notebook), warnings }
}

/**
 * Stream outputs may hold their text as a list of lines; @jupyter/ydoc stringifies such a list with
 * commas, so it gets the equivalent single string instead.
 */
export function joinStreamText(notebook: INotebookContent): INotebookContent {
  return {
    ...notebook,
    cells: notebook.cells.map((cell) =>
      cell.cell_type === 'code' && Array.isArray(cell.outputs)
        ? {
            ...cell,
            outputs: (cell.outputs as IOutput[]).map((output) =>
              isStream(output) && Array.isArray(output.text) ? { ...output, text: output.text.join('') } : output,
            ),
          }
        : cell,
    ),
  }
}

/** The nbformat JSON of a document's current state. */
export function updateToNotebook(state: Uint8Array): INotebookContent {
  const ynotebook = new YNotebook({})
  try {
    Y.applyUpdate(ynotebook.ydoc, state)
    const notebook = ynotebook.toJSON()
    return { ...notebook, nbformat: 4, nbformat_minor: NBFORMAT_MINOR }
  } finally {
    ynotebook.dispose()
  }
}

/** The exact number texts a document keeps (see {@link EXACT_NUMBERS_MAP}), to carry them into a copy. */
export function exactNumbersOf(state: Uint8Array): ExactNumbersByCell {
  const doc = new Y.Doc()
  try {
    Y.applyUpdate(doc, state)
    return doc.getMap<ExactNumber[]>(EXACT_NUMBERS_MAP).toJSON() as ExactNumbersByCell
  } finally {
    doc.destroy()
  }
}

/**
 * The .ipynb text of a document's current state, checked against the nbformat 4.5 schema (an {@link IpynbError} if
 * it does not fit), with imported numbers written as their source text wherever they are unchanged.
 */
export function updateToIpynbText(state: Uint8Array): string {
  const ynotebook = new YNotebook({})
  try {
    Y.applyUpdate(ynotebook.ydoc, state)
    const content = ynotebook.toJSON()
    const notebook = { ...content, nbformat: 4, nbformat_minor: NBFORMAT_MINOR }
    const problems = validateNotebook(notebook)
    if (problems.length > 0) throw new IpynbError(problems)
    const exact = ynotebook.ydoc.getMap<ExactNumber[]>(EXACT_NUMBERS_MAP)
    const numbers: ExactNumber[] = [...(exact.get('') ?? [])]
    notebook.cells.forEach((cell, index) => {
      const own = typeof cell.id === 'string' ? exact.get(cell.id) : undefined
      for (const n of own ?? []) numbers.push({ path: ['cells', index, ...n.path], text: n.text })
    })
    // toJSON made fresh copies, so the substitution may write into them.
    return stringifyWithExactNumbers(notebook, numbers)
  } finally {
    ynotebook.dispose()
  }
}

function cellId(): string {
  return randomUUID().replaceAll('-', '').slice(0, 8)
}
