import { ApiError, api, csrfToken } from '../api/client.ts'
import type { NotebookFile, NotebookPage, NotebookTemplate } from './types.ts'

/** REST calls of the notebooks browser: `/api/workspaces/{ws}/notebooks...` and `/api/notebook-templates`. */
export function notebooksApi(workspaceId: string) {
  const base = `/api/workspaces/${encodeURIComponent(workspaceId)}/notebooks`
  const one = (id: string) => `${base}/${encodeURIComponent(id)}`
  return {
    list: (o: { folder?: string; q?: string; deleted?: boolean; limit: number; offset: number }) => {
      const q = new URLSearchParams({ limit: String(o.limit), offset: String(o.offset) })
      if (o.folder !== undefined && !o.q) q.set('folder', o.folder)
      if (o.q) q.set('q', o.q)
      if (o.deleted) q.set('deleted', 'true')
      return api<NotebookPage>('GET', `${base}?${q}`)
    },
    get: (id: string) => api<NotebookFile>('GET', one(id)),
    create: (body: { name: string; folder?: string; template?: string }) => api<NotebookFile>('POST', base, body),
    update: (id: string, body: { name?: string; folder?: string }) => api<NotebookFile>('PATCH', one(id), body),
    duplicate: (id: string) => api<NotebookFile>('POST', `${one(id)}/duplicate`),
    remove: (id: string) => api<void>('DELETE', one(id)),
    restore: (id: string) => api<NotebookFile>('POST', `${one(id)}/restore`),
    exportUrl: (id: string) => `${one(id)}/export`,
    templates: () => api<NotebookTemplate[]>('GET', '/api/notebook-templates'),
    /** Uploads an .ipynb file, reporting progress (0..1) while it is sent. */
    importFile: (file: File, folder: string, onProgress: (fraction: number) => void) =>
      new Promise<NotebookFile>((resolve, reject) => {
        const name = file.name.replace(/\.ipynb$/i, '') || 'Imported notebook'
        const q = new URLSearchParams({ name })
        if (folder) q.set('folder', folder)
        const xhr = new XMLHttpRequest()
        xhr.open('POST', `${base}/import?${q}`)
        xhr.setRequestHeader('Content-Type', 'application/json')
        xhr.setRequestHeader('Accept', 'application/json')
        const csrf = csrfToken()
        if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf)
        xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total)
        xhr.onload = () => {
          const body = safeJson(xhr.responseText)
          if (xhr.status === 201) return resolve(body as NotebookFile)
          const err = body as { code?: string; message?: string } | undefined
          reject(new ApiError(xhr.status, err?.code ?? `http_${xhr.status}`, err?.message ?? `HTTP ${xhr.status}`))
        }
        xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload failed: the server could not be reached'))
        xhr.send(file)
      }),
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Folders are slash-separated paths ('' = the root); these are the immediate children of `folder`. */
export function childFolders(folders: string[], folder: string): string[] {
  const prefix = folder ? `${folder}/` : ''
  const out = new Set<string>()
  for (const f of folders) {
    if (!f.startsWith(prefix) || f === folder) continue
    const head = f.slice(prefix.length).split('/')[0]
    if (head) out.add(prefix + head)
  }
  return [...out].sort()
}
