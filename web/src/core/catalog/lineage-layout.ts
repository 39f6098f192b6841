import dagre from '@dagrejs/dagre'
import type { LineageGraph } from './types.ts'

export interface LaidOutGraph {
  width: number
  height: number
  nodes: { id: string; label: string; x: number; y: number; width: number; height: number; depth: number }[]
  edges: { from: string; to: string; points: { x: number; y: number }[] }[]
}

const NODE_HEIGHT = 32

/** Left-to-right layout of a lineage graph (upstream on the left) with dagre. */
export function layoutLineage(graph: LineageGraph): LaidOutGraph {
  const g = new dagre.graphlib.Graph()
  g.setGraph({ rankdir: 'LR', nodesep: 16, ranksep: 60, marginx: 8, marginy: 8 })
  g.setDefaultEdgeLabel(() => ({}))
  for (const n of graph.nodes) g.setNode(n.id, { width: Math.max(80, n.id.length * 7 + 16), height: NODE_HEIGHT })
  for (const e of graph.edges) if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to)
  dagre.layout(g)
  const depth = new Map(graph.nodes.map((n) => [n.id, n.depth]))
  return {
    width: g.graph().width ?? 0,
    height: g.graph().height ?? 0,
    nodes: g.nodes().map((id: string) => {
      const n = g.node(id)
      return { id, label: id, x: n.x, y: n.y, width: n.width, height: n.height, depth: depth.get(id) ?? 0 }
    }),
    edges: g.edges().map((e: { v: string; w: string }) => ({ from: e.v, to: e.w, points: g.edge(e).points ?? [] })),
  }
}
