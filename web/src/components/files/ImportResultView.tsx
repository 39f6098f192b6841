import { type ImportResult, PROBLEM_LABELS, problemPlace } from '../../core/files/types.ts'

/** What an import did: rows loaded, rows rejected with their line and reason, or why it failed. */
export function ImportResultView({ result }: { result: ImportResult }) {
  if (result.status === 'failed')
    return (
      <p role="alert" className="status-down" data-testid="import-result">
        Import into {result.table} failed: {result.error}
      </p>
    )
  return (
    <section aria-labelledby="import-result-heading" data-testid="import-result">
      <h4 id="import-result-heading">
        Imported into {result.table}: {result.rowsLoaded} rows loaded, {result.rowsRejected} rows rejected
      </h4>
      {result.fileLines !== null && (
        <p data-testid="import-lines">
          The file has {result.fileLines} lines
          {result.linesRejected > 0 ? `; the rejected rows cover ${result.linesRejected} of them` : ''}.
        </p>
      )}
      {result.rejects.length > 0 && (
        <>
          <p>Rejected rows are kept in {result.rejectsTable}.</p>
          <table className="table" data-testid="rejects">
            <thead>
              <tr>
                <th>Where</th>
                <th>Problem</th>
                <th>Reason</th>
                <th>Line</th>
              </tr>
            </thead>
            <tbody>
              {result.rejects.map((r, i) => (
                <tr key={i}>
                  <td>{problemPlace(r)}</td>
                  <td>{PROBLEM_LABELS[r.kind] ?? r.kind}</td>
                  <td>{r.reason}</td>
                  <td>
                    <code>{r.raw}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  )
}
