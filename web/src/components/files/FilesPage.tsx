import './files.css'
import { type DragEvent, useState } from 'react'
import { api } from '../../core/api/client.ts'
import { roleAtLeast, type Workspace } from '../../core/auth/types.ts'
import type { UploadedFile } from '../../core/files/types.ts'
import { type UploadProgress, uploadFile } from '../../core/files/upload.ts'
import { useApiData } from '../../hooks/use-api-data.ts'
import { ErrorText } from '../ui/ErrorText.tsx'
import { FilePreview } from './FilePreview.tsx'

/** Upload data files, preview and correct how they read, import them as tables; list files and tables. */
export function FilesPage({ workspace }: { workspace: Workspace }) {
  const base = `/api/workspaces/${workspace.id}/files`
  const canEdit = roleAtLeast(workspace.role, 'editor')
  const files = useApiData<{ files: UploadedFile[] }>(base)
  const tables = useApiData<{ tables: { schema: string; name: string; rows: number; columns: number }[] }>(
    `${base}/tables`,
  )
  const [progress, setProgress] = useState<UploadProgress & { name: string }>()
  const [error, setError] = useState<unknown>()
  const [selected, setSelected] = useState<UploadedFile>()
  const [dragging, setDragging] = useState(false)

  const upload = async (file: File | undefined) => {
    if (!file) return
    setError(undefined)
    setSelected(undefined)
    try {
      const done = await uploadFile(workspace.id, file, (p) => setProgress({ ...p, name: file.name }))
      setSelected(done)
      await files.reload()
    } catch (err) {
      setError(err)
    } finally {
      setProgress(undefined)
    }
  }
  const onDrop = (event: DragEvent<HTMLElement>) => {
    event.preventDefault()
    setDragging(false)
    void upload(event.dataTransfer.files[0])
  }
  const remove = async (id: string, name: string) => {
    // The bytes cannot be had back; the tables imported from the file stay.
    if (!window.confirm(`Delete the file ${name}? Tables imported from it stay.`)) return
    setError(undefined)
    try {
      await api('DELETE', `${base}/${id}`)
      if (selected?.id === id) setSelected(undefined)
      await files.reload()
    } catch (err) {
      setError(err)
    }
  }

  return (
    <section className="stack" aria-labelledby="files-heading">
      <section className="panel">
        <h2 id="files-heading">Data files</h2>
        {canEdit && (
          <section
            className={`dropzone${dragging ? ' dragging' : ''}`}
            aria-label="Drop a file to upload"
            onDragOver={(e) => {
              e.preventDefault()
              setDragging(true)
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
          >
            <p>Drop a CSV, TSV, XLSX, Parquet or JSON file here, or</p>
            <label>
              Choose a file to upload
              <input
                type="file"
                accept=".csv,.tsv,.tab,.txt,.xlsx,.parquet,.json,.ndjson,.jsonl"
                onChange={(e) => void upload(e.currentTarget.files?.[0])}
                disabled={progress !== undefined}
              />
            </label>
          </section>
        )}
        {progress && (
          <p>
            Uploading {progress.name}:{' '}
            <progress aria-label="Upload progress" value={progress.sent} max={progress.total || 1} />{' '}
            {Math.round((progress.sent / (progress.total || 1)) * 100)}%
          </p>
        )}
        <ErrorText error={error} />
        {files.state.kind === 'error' && <ErrorText error={files.state.error} />}
        {files.state.kind === 'loaded' && files.state.data.files.length > 0 && (
          <table className="table" data-testid="files">
            <thead>
              <tr>
                <th>File</th>
                <th>Format</th>
                <th>Size</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {files.state.data.files.map((f) => (
                <tr key={f.id}>
                  <td>{f.name}</td>
                  <td>
                    {f.format ?? '—'} {f.encoding ? `(${f.encoding})` : ''}
                  </td>
                  <td>{formatBytes(f.size)}</td>
                  <td>
                    {f.status === 'ready' ? 'ready' : `uploading ${Math.round((f.received / (f.size || 1)) * 100)}%`}
                  </td>
                  <td>
                    {f.status === 'ready' && (
                      <button type="button" onClick={() => setSelected(f)}>
                        Preview {f.name}
                      </button>
                    )}{' '}
                    {canEdit && (
                      <button type="button" onClick={() => void remove(f.id, f.name)}>
                        Delete {f.name}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {selected && (
        <FilePreview
          key={selected.id}
          workspaceId={workspace.id}
          file={selected}
          canImport={canEdit}
          onImported={() => void tables.reload()}
        />
      )}
      <section className="panel" aria-labelledby="tables-heading">
        <h3 id="tables-heading">Tables in the workspace database</h3>
        {tables.state.kind === 'loaded' && (
          <ul data-testid="tables">
            {tables.state.data.tables.map((t) => (
              <li key={`${t.schema}.${t.name}`}>
                {t.schema}.{t.name}: {t.rows} rows, {t.columns} columns
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  )
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}
