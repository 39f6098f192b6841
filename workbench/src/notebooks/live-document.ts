import { YNotebook } from '@jupyter/ydoc'
// Not re-exported by the package index: the cell factory YNotebook.insertCells itself uses.
import { createCell } from '@jupyter/ydoc/lib/ycell.js'
import type { INotebookContent } from '@jupyterlab/nbformat'
import * as Y from 'yjs'
import type { CollabServer } from '../collab/collab-server.ts'
import type { DocumentStore } from '../collab/document-store.ts'
import type { ExactNumber } from './exact-numbers.ts'
import { EXACT_NUMBERS_MAP, type ExactNumbersByCell, joinStreamText } from './ipynb.ts'

/**
 * Reads a notebook's current document: the live room's when it is open (after everything queued is
 * stored), otherwise a throwaway copy loaded from storage. `fn` must not keep the document.
 */
export async function readDocument<T>(
  store: DocumentStore,
  collab: CollabServer | undefined,
  notebookId: string,
  fn: (doc: Y.Doc) => T | Promise<T>,
): Promise<T> {
  if (collab?.loadedDocuments.includes(notebookId)) {
    const room = await collab.room(notebookId)
    await room.flush()
    return fn(room.doc)
  }
  const loaded = await store.load(notebookId)
  try {
    return await fn(loaded.doc)
  } finally {
    loaded.doc.destroy()
  }
}

/** Cell ids in document order (the YNotebook schema: `cells` is an array of maps with an `id`). */
export function cellIds(doc: Y.Doc): string[] {
  return doc
    .getArray<Y.Map<unknown>>('cells')
    .toArray()
    .map((cell) => String(cell.get('id')))
}

/** The shared source text of the cell `cellId`, if the document has that cell. */
export function cellSource(doc: Y.Doc, cellId: string): Y.Text | undefined {
  for (const cell of doc.getArray<Y.Map<unknown>>('cells')) {
    if (cell.get('id') === cellId) {
      const source = cell.get('source')
      return source instanceof Y.Text ? source : undefined
    }
  }
  return undefined
}

/**
 * Replaces the content of a live YNotebook document with `content`, inside the caller's transaction:
 * cells are recreated with their ids (so comments anchored to a cell follow it back), notebook metadata
 * and format are overwritten, and so are the exact texts of its numbers. Used to restore a version as one
 * ordinary change.
 */
export function replaceNotebookContent(
  doc: Y.Doc,
  content: INotebookContent,
  exactNumbers: ExactNumbersByCell = {},
): void {
  const notebook = joinStreamText(content)
  // The exact texts of numbers JavaScript cannot hold (`1.0`, big integers) come back with the content: they
  // are keyed by cell id, and the cells keep their ids.
  const exact = doc.getMap<ExactNumber[]>(EXACT_NUMBERS_MAP)
  exact.clear()
  for (const [owner, numbers] of Object.entries(exactNumbers)) exact.set(owner, numbers)
  const meta = doc.getMap<unknown>('meta')
  meta.set('nbformat', notebook.nbformat)
  meta.set('nbformat_minor', notebook.nbformat_minor)
  let metadata = meta.get('metadata')
  if (!(metadata instanceof Y.Map)) {
    metadata = new Y.Map<unknown>()
    meta.set('metadata', metadata)
  }
  const ymetadata = metadata as Y.Map<unknown>
  ymetadata.clear()
  for (const [key, value] of Object.entries(notebook.metadata ?? {})) ymetadata.set(key, value)
  const cells = doc.getArray<Y.Map<unknown>>('cells')
  cells.delete(0, cells.length)
  // Cells are built unattached (bound to a scratch notebook, as YNotebook does before inserting them;
  // a standalone cell would be tied to a private document), then inserted into the live array.
  const scratch = new YNotebook({})
  try {
    cells.insert(
      0,
      notebook.cells.map((cell) => createCell(cell as Parameters<typeof createCell>[0], scratch).ymodel),
    )
  } finally {
    scratch.dispose()
  }
}
