import dagre from '@dagrejs/dagre'
import type { SpecOutline } from './spec-outline.ts'

export interface DagNode {
  id: string
  type: string
  x: number
  y: number
  width: number
  height: number
}

export interface DagLayout {
  width: number
  height: number
  nodes: DagNode[]
  edges: { from: string; to: string; points: { x: number; y: number }[] }[]
}

const NODE_HEIGHT = 44

/** Top-to-bottom layout of a pipeline's steps with dagre: an edge from each dependency to its dependant. */
export function layoutSteps(steps: SpecOutline['steps']): DagLayout {
  const g = new dagre.graphlib.Graph()
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 40, marginx: 8, marginy: 8 })
  g.setDefaultEdgeLabel(() => ({}))
  const types = new Map<string, string>()
  for (const s of steps) {
    types.set(s.id, s.type)
    // Room for the second line's "type · timed out" once a run colours the node.
    const chars = Math.max(s.id.length, s.type.length + 12)
    g.setNode(s.id, { width: Math.max(96, chars * 7.5 + 24), height: NODE_HEIGHT })
  }
  // Unknown dependencies are validation problems, listed elsewhere; the graph only draws real edges.
  for (const s of steps) for (const d of s.dependsOn) if (g.hasNode(d) && d !== s.id) g.setEdge(d, s.id)
  dagre.layout(g)
  return {
    width: g.graph().width ?? 0,
    height: g.graph().height ?? 0,
    nodes: g.nodes().map((id: string) => {
      const n = g.node(id)
      return { id, type: types.get(id) ?? '?', x: n.x, y: n.y, width: n.width, height: n.height }
    }),
    edges: g.edges().map((e: { v: string; w: string }) => ({ from: e.v, to: e.w, points: g.edge(e).points ?? [] })),
  }
}
