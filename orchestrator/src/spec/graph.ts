// Dependency graph checks shared by validation and the workflow (which re-checks what it is given).
// Pure and dependency-free.

export interface GraphNode {
  id: string
  depends_on?: string[]
}

export type GraphProblem =
  | { code: 'duplicate_step_id'; step: number; message: string }
  | { code: 'unknown_dependency'; step: number; dependency: number; message: string }
  | { code: 'cycle'; step: number; message: string }

/**
 * Every structural problem of a step graph: duplicate ids, dependencies on unknown steps, and each
 * cycle once (as `a -> b -> a`, reported on its first step in document order).
 */
export function checkGraph(nodes: readonly GraphNode[]): GraphProblem[] {
  const problems: GraphProblem[] = []
  const index = new Map<string, number>()
  nodes.forEach((node, i) => {
    if (index.has(node.id)) {
      problems.push({ code: 'duplicate_step_id', step: i, message: `step id '${node.id}' is used more than once` })
    } else index.set(node.id, i)
  })
  nodes.forEach((node, i) => {
    ;(node.depends_on ?? []).forEach((dep, j) => {
      if (!index.has(dep)) {
        problems.push({
          code: 'unknown_dependency',
          step: i,
          dependency: j,
          message: `depends on unknown step '${dep}'`,
        })
      }
    })
  })
  for (const cycle of findCycles(nodes, index)) {
    const first = Math.min(...cycle.map((id) => index.get(id) as number))
    const start = nodes[first]?.id as string
    const rotated = [...cycle.slice(cycle.indexOf(start)), ...cycle.slice(0, cycle.indexOf(start)), start]
    problems.push({ code: 'cycle', step: first, message: `dependency cycle: ${rotated.join(' -> ')}` })
  }
  return problems
}

/** Strongly connected components with a cycle (Tarjan), each as a path through the cycle. */
function findCycles(nodes: readonly GraphNode[], index: Map<string, number>): string[][] {
  const cycles: string[][] = []
  const order = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  let counter = 0
  const edges = (id: string) => (nodes[index.get(id) as number]?.depends_on ?? []).filter((dep) => index.has(dep))

  const visit = (id: string): void => {
    order.set(id, counter)
    low.set(id, counter)
    counter += 1
    stack.push(id)
    onStack.add(id)
    for (const dep of edges(id)) {
      if (!order.has(dep)) {
        visit(dep)
        low.set(id, Math.min(low.get(id) as number, low.get(dep) as number))
      } else if (onStack.has(dep)) low.set(id, Math.min(low.get(id) as number, order.get(dep) as number))
    }
    if (low.get(id) !== order.get(id)) return
    const component: string[] = []
    let member: string | undefined
    do {
      member = stack.pop() as string
      onStack.delete(member)
      component.push(member)
    } while (member !== id)
    if (component.length > 1 || edges(id).includes(id)) cycles.push(cyclePath(component, edges))
  }
  for (const id of index.keys()) if (!order.has(id)) visit(id)
  return cycles
}

/** The shortest walk from a member back to itself, so the message names real edges in dependency order. */
function cyclePath(component: string[], edges: (id: string) => string[]): string[] {
  const members = new Set(component)
  const start = component[component.length - 1] as string
  const previous = new Map<string, string>()
  const queue = [start]
  while (queue.length > 0) {
    const current = queue.shift() as string
    for (const dep of edges(current)) {
      if (!members.has(dep)) continue
      if (dep === start) {
        const path = [current]
        while (path[0] !== start) path.unshift(previous.get(path[0] as string) as string)
        return path
      }
      if (!previous.has(dep)) {
        previous.set(dep, current)
        queue.push(dep)
      }
    }
  }
  return [start]
}

/** All transitive dependencies of each step (graph assumed acyclic and well-formed). */
export function ancestors(nodes: readonly GraphNode[]): Map<string, Set<string>> {
  const byId = new Map(nodes.map((node) => [node.id, node]))
  const memo = new Map<string, Set<string>>()
  const walk = (id: string, trail: Set<string>): Set<string> => {
    const known = memo.get(id)
    if (known) return known
    const result = new Set<string>()
    for (const dep of byId.get(id)?.depends_on ?? []) {
      if (trail.has(dep) || !byId.has(dep)) continue
      result.add(dep)
      for (const inherited of walk(dep, new Set([...trail, dep]))) result.add(inherited)
    }
    memo.set(id, result)
    return result
  }
  for (const node of nodes) walk(node.id, new Set([node.id]))
  return memo
}
