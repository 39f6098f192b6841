import { type DragEvent, useRef, useState } from 'react'
import { notebooksApi } from '../../core/notebooks/notebooks-api.ts'
import type { NotebookFile } from '../../core/notebooks/types.ts'
import { errorMessage, toast } from '../../core/ui/toasts.ts'

interface Upload {
  name: string
  progress: number
  error?: string
}

/** Drop .ipynb files here (or pick them) to import them into `folder`, with per-file progress. */
export function ImportDropZone({
  workspaceId,
  folder,
  onImported,
}: {
  workspaceId: string
  folder: string
  onImported: (file: NotebookFile) => void
}) {
  const [over, setOver] = useState(false)
  const [uploads, setUploads] = useState<Upload[]>([])
  const input = useRef<HTMLInputElement>(null)

  const importFiles = async (files: File[]) => {
    const api = notebooksApi(workspaceId)
    const start = uploads.length
    setUploads((u) => [...u, ...files.map((f) => ({ name: f.name, progress: 0 }))])
    const set = (i: number, patch: Partial<Upload>) =>
      setUploads((u) => u.map((x, j) => (j === start + i ? { ...x, ...patch } : x)))
    await Promise.all(
      files.map(async (file, i) => {
        if (!/\.ipynb$/i.test(file.name)) return set(i, { error: 'not an .ipynb file' })
        try {
          const created = await api.importFile(file, folder, (p) => set(i, { progress: p }))
          set(i, { progress: 1 })
          toast(`Imported ${created.name}`, 'success')
          onImported(created)
        } catch (err) {
          set(i, { error: errorMessage(err) })
          toast(`${file.name}: ${errorMessage(err)}`, 'error')
        }
      }),
    )
  }

  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setOver(false)
    void importFiles([...e.dataTransfer.files])
  }

  return (
    <section
      className={`dropzone${over ? ' over' : ''}`}
      data-testid="import-dropzone"
      aria-label="Import notebooks"
      onDragOver={(e) => {
        e.preventDefault()
        setOver(true)
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <p>
        Drop .ipynb files here to import them, or{' '}
        <button type="button" className="link" onClick={() => input.current?.click()}>
          choose files
        </button>
        <input
          ref={input}
          type="file"
          accept=".ipynb,application/x-ipynb+json"
          multiple
          hidden
          aria-label="Notebook files to import"
          onChange={(e) => {
            void importFiles([...(e.target.files ?? [])])
            e.target.value = ''
          }}
        />
      </p>
      {uploads.length > 0 && (
        <ul className="plain uploads">
          {uploads.map((u, i) => (
            <li key={i}>
              {u.name}{' '}
              {u.error ? (
                <span className="status-down">{u.error}</span>
              ) : (
                <progress value={u.progress} max={1} aria-label={`Uploading ${u.name}`} />
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
