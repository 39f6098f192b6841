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
export function parseIpynb(text: string): INotebookContent {
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

/** The Yjs update that creates `notebook` in an empty document (the YNotebook schema of @jupyter/ydoc). */
export function notebookToUpdate(notebook: INotebookContent): Uint8Array {
  const ynotebook = new YNotebook({})
  try {
    ynotebook.fromJSON(joinStreamText(notebook))
    return Y.encodeStateAsUpdate(ynotebook.ydoc)
  } finally {
    ynotebook.dispose()
  }
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
