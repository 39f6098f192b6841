import { ApiError, api } from '../api/client.ts'
import { FIRST_CHUNK_BYTES, nextChunkBytes } from './chunking.ts'
import type { UploadedFile } from './types.ts'

const RETRIES = 3

export interface UploadProgress {
  sent: number
  total: number
}

function csrfToken(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=')
    if (name === 'wb_csrf') return rest.join('=')
  }
  return undefined
}

async function putChunk(base: string, id: string, offset: number, chunk: Blob): Promise<number> {
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' }
  const csrf = csrfToken()
  if (csrf) headers['X-CSRF-Token'] = csrf
  const res = await fetch(`${base}/uploads/${id}?offset=${offset}`, {
    method: 'PUT',
    headers,
    credentials: 'same-origin',
    body: chunk,
  })
  const payload = (await res.json().catch(() => undefined)) as
    | { received?: number; code?: string; message?: string; details?: unknown }
    | undefined
  if (res.ok && payload?.received !== undefined) return payload.received
  throw new ApiError(
    res.status,
    payload?.code ?? `http_${res.status}`,
    payload?.message ?? `HTTP ${res.status}`,
    payload?.details,
  )
}

/**
 * Uploads a file in chunks with progress (sized by {@link nextChunkBytes}). A chunk that fails for a network reason is resumed from the offset
 * the server reports (up to a few times); refusals (size limit, permissions) end the upload at once.
 */
export async function uploadFile(
  workspaceId: string,
  file: File,
  onProgress: (p: UploadProgress) => void,
): Promise<UploadedFile> {
  const base = `/api/workspaces/${workspaceId}/files`
  const begun = await api<UploadedFile>('POST', `${base}/uploads`, { name: file.name, size: file.size })
  let offset = 0
  let failures = 0
  let chunkBytes = FIRST_CHUNK_BYTES
  onProgress({ sent: 0, total: file.size })
  while (offset < file.size) {
    try {
      const started = performance.now()
      const sent = await putChunk(base, begun.id, offset, file.slice(offset, offset + chunkBytes))
      chunkBytes = nextChunkBytes(sent - offset, performance.now() - started)
      offset = sent
      failures = 0
    } catch (err) {
      const retryable = !(err instanceof ApiError) || err.code === 'upload_interrupted' || err.status >= 500
      if (!retryable || ++failures > RETRIES) throw err
      offset = (await api<UploadedFile>('GET', `${base}/uploads/${begun.id}`)).received
    }
    onProgress({ sent: offset, total: file.size })
  }
  return api<UploadedFile>('POST', `${base}/uploads/${begun.id}/complete`)
}
