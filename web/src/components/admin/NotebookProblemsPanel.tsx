import { useApiData } from '../../hooks/use-api-data.ts'
import { DataTable } from '../ui/DataTable.tsx'

interface NotebookProblem {
  id: string
  notebookId: string
  notebookName: string
  workspaceId: string
  kind: string
  detail: string
  createdAt: string
}

/**
 * Stored notebook data the document store could not use (a corrupted update or snapshot it skipped while
 * loading from the last good state), so an administrator learns of it instead of it only reaching the log.
 */
export function NotebookProblemsPanel() {
  const problems = useApiData<{ items: NotebookProblem[]; total: number }>('/api/admin/notebook-problems?limit=50')
  return (
    <section className="panel" aria-labelledby="notebook-problems-heading">
      <h2 id="notebook-problems-heading">Notebook storage problems</h2>
      {problems.state.kind === 'loaded' && (
        <DataTable
          testId="notebook-problems"
          caption="Notebook storage problems, newest first"
          rows={problems.state.data.items}
          rowKey={(p) => p.id}
          empty={<p>No stored notebook data has needed recovery.</p>}
          columns={[
            { header: 'When', cell: (p) => new Date(p.createdAt).toLocaleString() },
            { header: 'Notebook', cell: (p) => p.notebookName },
            { header: 'Problem', cell: (p) => p.kind },
            { header: 'Detail', cell: (p) => p.detail },
          ]}
        />
      )}
    </section>
  )
}
