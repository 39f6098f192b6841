import { layoutSteps } from '../../core/pipelines/dag-layout.ts'
import { statusLabel } from '../../core/pipelines/format.ts'
import type { SpecOutline } from '../../core/pipelines/spec-outline.ts'

/**
 * The steps of a pipeline as an SVG graph laid out by dagre, dependencies above their dependants. With
 * `statuses` (a run's), each node is coloured by its step's status and says it in words too.
 */
export function PipelineDag({
  steps,
  statuses,
  label = 'Pipeline steps',
}: {
  steps: SpecOutline['steps']
  statuses?: ReadonlyMap<string, string>
  label?: string
}) {
  if (steps.length === 0) return <p className="muted">No steps yet.</p>
  const layout = layoutSteps(steps)
  const summary = layout.nodes
    .map((n) => `${n.id} (${n.type}${statuses?.get(n.id) ? `, ${statusLabel(statuses.get(n.id) ?? '')}` : ''})`)
    .join(', ')
  return (
    <div className="dag-scroll">
      <svg
        role="img"
        aria-label={`${label}: ${summary}`}
        width={layout.width}
        height={layout.height}
        className="dag"
        data-testid="pipeline-dag"
      >
        <defs>
          <marker id="dag-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" fill="currentColor" />
          </marker>
        </defs>
        {layout.edges.map((e) => (
          <polyline
            key={`${e.from}>${e.to}`}
            data-testid="dag-edge"
            data-edge={`${e.from}>${e.to}`}
            points={e.points.map((p) => `${p.x},${p.y}`).join(' ')}
            fill="none"
            stroke="currentColor"
            markerEnd="url(#dag-arrow)"
          />
        ))}
        {layout.nodes.map((n) => {
          const status = statuses?.get(n.id) ?? 'none'
          return (
            <g
              key={n.id}
              data-testid="dag-node"
              data-step={n.id}
              data-status={status}
              className={`dag-node status-${status}`}
              transform={`translate(${n.x - n.width / 2},${n.y - n.height / 2})`}
            >
              <title>{`${n.id}: ${n.type}${status !== 'none' ? `, ${statusLabel(status)}` : ''}`}</title>
              <rect width={n.width} height={n.height} rx={6} />
              <text x={10} y={18} className="dag-id">
                {n.id}
              </text>
              <text x={10} y={34} className="dag-type">
                {n.type}
                {status !== 'none' ? ` · ${statusLabel(status)}` : ''}
              </text>
            </g>
          )
        })}
      </svg>
    </div>
  )
}
