import { type FormEvent, useCallback, useEffect, useState } from 'react'
import { type CommentThread, commentsApi } from '../../core/notebook/history-api.ts'
import { errorMessage, toast } from '../../core/ui/toasts.ts'
import { EmptyState } from '../ui/EmptyState.tsx'

/** Comment threads on the notebook's cells; new threads go on the selected cell. */
export function CommentsPanel({
  workspaceId,
  notebookId,
  activeCellId,
  cellLabel,
  revision,
  onMissing,
}: {
  workspaceId: string
  notebookId: string
  activeCellId: string | undefined
  cellLabel: (cellId: string) => string
  /** The server's `comments-rev` in the live document: changes whenever anyone changes a comment. */
  revision: unknown
  onMissing: () => void
}) {
  const api = commentsApi(workspaceId, notebookId)
  const [threads, setThreads] = useState<CommentThread[]>([])
  const [showResolved, setShowResolved] = useState(false)
  const load = useCallback(async () => {
    try {
      const page = await api.list()
      if (!page) return onMissing()
      setThreads(page.threads)
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }, [workspaceId, notebookId])
  // Refetched when anyone (in another browser too) comments, replies or resolves.
  useEffect(() => {
    void load()
  }, [load, revision])
  const run = async (action: () => Promise<unknown>) => {
    try {
      await action()
      await load()
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }
  const submit = (e: FormEvent<HTMLFormElement>, send: (body: string) => Promise<unknown>) => {
    e.preventDefault()
    const form = e.currentTarget
    const body = String(new FormData(form).get('body') ?? '').trim()
    if (!body) return
    void run(() => send(body)).then(() => form.reset())
  }
  const shown = threads.filter((t) => showResolved || !t.resolved)
  return (
    <aside className="side-panel" aria-labelledby="comments-heading" data-testid="comments-panel">
      <h3 id="comments-heading">Comments</h3>
      <label className="row-label">
        <input type="checkbox" checked={showResolved} onChange={(e) => setShowResolved(e.target.checked)} /> Show
        resolved
      </label>
      {activeCellId && (
        <form onSubmit={(e) => submit(e, (body) => api.create(activeCellId, body))} className="stack">
          <textarea
            name="body"
            aria-label="Comment on the selected cell"
            placeholder={`Comment on ${cellLabel(activeCellId)}`}
            rows={2}
          />
          <button type="submit">Comment</button>
        </form>
      )}
      {shown.length === 0 && <EmptyState title="No comments." />}
      {shown.map((t) => (
        <article key={t.id} className={`thread${t.resolved ? ' resolved' : ''}`} data-testid="comment-thread">
          <header className="inline">
            <small>{t.orphaned ? 'deleted cell' : cellLabel(t.cellId)}</small>
            <button
              type="button"
              className="link"
              onClick={() => void run(() => (t.resolved ? api.reopen(t.id) : api.resolve(t.id)))}
            >
              {t.resolved ? 'Reopen' : 'Resolve'}
            </button>
          </header>
          {t.comments
            .filter((c) => !c.deleted)
            .map((c) => (
              <p key={c.id}>
                {c.body} <small>{new Date(c.createdAt).toLocaleString()}</small>
              </p>
            ))}
          {!t.resolved && (
            <form onSubmit={(e) => submit(e, (body) => api.reply(t.id, body))} className="inline">
              <input name="body" aria-label="Reply" placeholder="Reply" />
              <button type="submit">Reply</button>
            </form>
          )}
        </article>
      ))}
    </aside>
  )
}
