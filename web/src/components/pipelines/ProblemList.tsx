import type { SpecProblem } from '../../core/pipelines/types.ts'

/** Every validation problem as a list; each one moves the editor's cursor to it. */
export function ProblemList({
  problems,
  onSelect,
}: {
  problems: SpecProblem[]
  onSelect?: (line: number, column: number) => void
}) {
  if (problems.length === 0) return null
  return (
    <div role="alert" className="problems">
      <p className="status-down">
        {problems.length} problem{problems.length === 1 ? '' : 's'}
      </p>
      <ul data-testid="problems">
        {problems.map((p, i) => {
          const where = p.line ? `${p.line}:${p.column ?? 1}` : p.path.join('.') || 'document'
          return (
            <li key={`${i}-${p.code}`} data-code={p.code}>
              {onSelect && p.line ? (
                <button type="button" className="link" onClick={() => onSelect(p.line ?? 1, p.column ?? 1)}>
                  Line {where}
                </button>
              ) : (
                <span>{where}</span>
              )}{' '}
              {p.message} <code className="muted">{p.code}</code>
            </li>
          )
        })}
      </ul>
    </div>
  )
}
