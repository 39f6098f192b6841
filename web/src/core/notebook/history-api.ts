import { ApiError, api } from '../api/client.ts'

/** Mirrors of the notebook history schemas (versions and comments routes). */
export interface NotebookVersion {
  id: string
  notebookId: string
  kind: 'auto' | 'named' | 'pre-compile' | 'pre-restore'
  label: string | null
  createdBy: string | null
  createdAt: string
  cellCount: number
  bytes: number
}

export interface CellDiff {
  cellId: string
  status: 'added' | 'removed' | 'modified' | 'unchanged'
  moved: boolean
  cellType: string
  oldIndex: number | null
  newIndex: number | null
  sourceHunks: { oldStart: number; oldLines: number; newStart: number; newLines: number; lines: string[] }[]
  typeChanged: boolean
  metadataChanged: boolean
  outputs: { changed: boolean; summary: string }
}

export interface NotebookDiff {
  cells: CellDiff[]
  summary: {
    added: number
    removed: number
    modified: number
    moved: number
    outputsChanged: number
    unchanged: number
  }
}

export interface CommentMessage {
  id: string
  threadId: string
  authorId: string
  body: string
  createdAt: string
  editedAt: string | null
  deleted: boolean
}

export interface CommentThread {
  id: string
  cellId: string
  cellIndex: number | null
  orphaned: boolean
  resolved: boolean
  createdBy: string
  createdAt: string
  comments: CommentMessage[]
}

/** `undefined` when the endpoint does not exist on this server (404 on the collection): the panel hides. */
async function orMissing<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && err.code !== 'notebook_not_found') return undefined
    throw err
  }
}

/** `/api/workspaces/{ws}/notebooks/{id}/versions`: list, create named, view, diff, restore. */
export function versionsApi(workspaceId: string, notebookId: string) {
  const base = `/api/workspaces/${encodeURIComponent(workspaceId)}/notebooks/${encodeURIComponent(notebookId)}/versions`
  return {
    list: () => orMissing(api<{ items: NotebookVersion[]; total: number }>('GET', `${base}?limit=50`)),
    create: (label: string) => api<NotebookVersion>('POST', base, { label }),
    view: (id: string) =>
      api<{ version: NotebookVersion; notebook: Record<string, unknown> }>('GET', `${base}/${encodeURIComponent(id)}`),
    diff: (from: string, to = 'live') => api<NotebookDiff>('GET', `${base}/diff?${new URLSearchParams({ from, to })}`),
    restore: (id: string) => api<{ restored: NotebookVersion }>('POST', `${base}/${encodeURIComponent(id)}/restore`),
  }
}

/** `/api/workspaces/{ws}/notebooks/{id}/comments`: threads on cells, replies, resolve and reopen. */
export function commentsApi(workspaceId: string, notebookId: string) {
  const base = `/api/workspaces/${encodeURIComponent(workspaceId)}/notebooks/${encodeURIComponent(notebookId)}/comments`
  return {
    list: () => orMissing(api<{ threads: CommentThread[] }>('GET', `${base}?status=all`)),
    create: (cellId: string, body: string) => api<CommentThread>('POST', base, { cellId, body, mentions: [] }),
    reply: (threadId: string, body: string) =>
      api<CommentThread>('POST', `${base}/${encodeURIComponent(threadId)}/replies`, { body, mentions: [] }),
    resolve: (threadId: string) => api<CommentThread>('POST', `${base}/${encodeURIComponent(threadId)}/resolve`),
    reopen: (threadId: string) => api<CommentThread>('POST', `${base}/${encodeURIComponent(threadId)}/reopen`),
  }
}
