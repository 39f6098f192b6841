import { layoutLineage } from '../../core/catalog/lineage-layout.ts'
import type { LineageGraph } from '../../core/catalog/types.ts'
import { hrefFor } from '../../core/routing/routes.ts'

/**
 * A lineage graph drawn as SVG, laid out left to right by dagre; the asset itself is highlighted, and every
 * other node the catalog knows links to its asset page.
 */
export function LineageView({ graph, workspaceId }: { graph: LineageGraph; workspaceId: string }) {
  if (graph.edges.length === 0) return <p className="muted">No lineage recorded yet.</p>
  const layout = layoutLineage(graph)
  const assetOf = new Map(graph.nodes.map((n) => [n.id, n.assetId]))
  return (
    <div className="lineage-scroll">
      <svg role="img" aria-label="Lineage graph" width={layout.width} height={layout.height} className="lineage">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" />
          </marker>
        </defs>
        {layout.edges.map((e) => (
          <polyline
            key={`${e.from}>${e.to}`}
            points={e.points.map((p) => `${p.x},${p.y}`).join(' ')}
            fill="none"
            stroke="currentColor"
            markerEnd="url(#arrow)"
          />
        ))}
        {layout.nodes.map((n) => {
          const node = (
            <g
              key={n.id}
              data-testid="lineage-node"
              transform={`translate(${n.x - n.width / 2},${n.y - n.height / 2})`}
            >
              <rect
                width={n.width}
                height={n.height}
                rx={4}
                className={n.depth === 0 ? 'lineage-self' : 'lineage-node'}
              />
              <text x={8} y={n.height / 2 + 4}>
                {n.label}
              </text>
            </g>
          )
          const assetId = assetOf.get(n.id)
          return assetId && n.depth !== 0 ? (
            <a key={n.id} href={hrefFor({ page: 'catalog', workspaceId, assetId })} aria-label={`Open ${n.label}`}>
              {node}
            </a>
          ) : (
            node
          )
        })}
      </svg>
    </div>
  )
}
