import { randomUUID } from 'node:crypto'
import { YNotebook } from '@jupyter/ydoc'
import { type INotebookContent, type IOutput, isStream } from '@jupyterlab/nbformat'
import AjvModule from 'ajv-draft-04'
import * as Y from 'yjs'
import { findNul } from '../http/validation.ts'
import schema from './nbformat.v4.5.schema.json' with { type: 'json' }

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

// nbformat's own schema (BSD-3-Clause, copied from the nbformat package), draft-04 like the original.
const Ajv = AjvModule.default
const ajv = new Ajv({ allErrors: true, strict: false })
const validateSchema = ajv.compile(schema)

/** Problems found by the nbformat 4.5 JSON schema, as `path: message` lines; empty when valid. */
export function validateNotebook(notebook: unknown): string[] {
  if (validateSchema(notebook)) return []
  return (validateSchema.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`)
}

/**
 * Parses an uploaded .ipynb: JSON, nbformat 4, upgraded to 4.5 (cell ids added where missing, as
 * nbformat itself does), then validated. Throws an {@link IpynbError} listing what is wrong.
 */
export function parseIpynb(text: string, options: { maxCells?: number } = {}): INotebookContent {
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
  if (typeof notebook.nbformat_minor === 'number' && notebook.nbformat_minor < 5) {
    notebook.nbformat_minor = 5
    if (Array.isArray(notebook.cells)) {
      for (const cell of notebook.cells) {
        if (cell && typeof cell === 'object' && !('id' in cell)) (cell as Record<string, unknown>).id = cellId()
      }
    }
  }
  const problems = validateNotebook(notebook)
  if (problems.length > 0) throw new IpynbError(problems)
  return notebook as unknown as INotebookContent
}

/**
 * Cells inserted per Yjs transaction. YNotebook observes its cell array through `event.changes`, which Yjs builds
 * by concatenating the inserted items one by one (quadratic in the cells of one transaction: 16,000 cells took
 * 29 s, 150,000 over 20 minutes); small batches keep the whole conversion linear.
 */
const CELLS_PER_TRANSACTION = 256

/** The Yjs update that creates `notebook` in an empty document (the YNotebook schema of @jupyter/ydoc). */
export function notebookToUpdate(notebook: INotebookContent): Uint8Array {
  const ynotebook = new YNotebook({})
  try {
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

/** A parsed, validated and converted import: the initial document and its search text. */
export interface PreparedNotebook {
  update: Uint8Array
  contentText: string
}

/** Parse, validate and convert an uploaded .ipynb (what the import worker thread runs). */
export function prepareImport(text: string, options: { maxCells?: number } = {}): PreparedNotebook {
  const notebook = parseIpynb(text, options)
  return { update: notebookToUpdate(notebook), contentText: searchableText(notebook) }
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
    return { ...notebook, nbformat: 4, nbformat_minor: Math.max(5, notebook.nbformat_minor ?? 5) }
  } finally {
    ynotebook.dispose()
  }
}

function cellId(): string {
  return randomUUID().replaceAll('-', '').slice(0, 8)
}
