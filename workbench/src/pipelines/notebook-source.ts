import type { INotebookContent } from '@jupyterlab/nbformat'
import * as Y from 'yjs'
import type { DocumentStore } from '../collab/document-store.ts'
import { AppError } from '../http/errors.ts'
import { updateToNotebook } from '../notebooks/ipynb.ts'
import type { NotebookService } from '../notebooks/notebook-service.ts'

/** A notebook's current content and the document update seq it contains (what a compile pins). */
export async function notebookHead(
  service: NotebookService,
  workspaceId: string,
  notebookId: string,
): Promise<{ name: string; content: INotebookContent; seq: string }> {
  const notebook = await service.getOrThrow(workspaceId, notebookId)
  // Edits still in a live room's memory are flushed first, so the seq covers everything users saw.
  if (service.collab?.loadedDocuments.includes(notebookId)) await (await service.collab.room(notebookId)).flush()
  const loaded = await service.store.load(notebookId)
  try {
    return { name: notebook.name, content: updateToNotebook(Y.encodeStateAsUpdate(loaded.doc)), seq: loaded.lastSeq }
  } finally {
    loaded.doc.destroy()
  }
}

/**
 * The notebook as it was at update `seq` (a pipeline compiled before any version was saved pins this):
 * the newest snapshot at or before it plus the logged updates up to it. Compaction keeps one older
 * snapshot generation, so a seq older than that can no longer be rebuilt: a 409 says to save a version.
 */
export async function notebookAtSeq(store: DocumentStore, notebookId: string, seq: string): Promise<INotebookContent> {
  const snapshots = await store.db
    .selectFrom('notebook_snapshots')
    .select(['covers_seq', 'data'])
    .where('notebook_id', '=', notebookId)
    .orderBy('covers_seq', 'desc')
    .execute()
  const base = snapshots.find((s) => BigInt(String(s.covers_seq)) <= BigInt(seq))
  if (!base && snapshots.length >= 2) {
    throw new AppError(
      409,
      'notebook_seq_compacted',
      `Notebook ${notebookId} can no longer be rebuilt at update ${seq}: pin a saved version instead`,
    )
  }
  const doc = new Y.Doc()
  try {
    if (base) Y.applyUpdate(doc, bytes(base.data))
    const updates = await store.db
      .selectFrom('notebook_updates')
      .select(['data'])
      .where('notebook_id', '=', notebookId)
      .where('seq', '>', base ? String(base.covers_seq) : '0')
      .where('seq', '<=', seq)
      .orderBy('seq')
      .execute()
    for (const update of updates) Y.applyUpdate(doc, bytes(update.data))
    return updateToNotebook(Y.encodeStateAsUpdate(doc))
  } finally {
    doc.destroy()
  }
}

function bytes(data: Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}
