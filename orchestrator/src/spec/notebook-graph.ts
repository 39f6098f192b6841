// Steps from cells for the notebook -> pipeline compiler: which cells run together, and the edges between
// them from what each cell reads and writes. Pure.
import type { CompileProblem } from './compile-notebook.ts'
import { checkGraph } from './graph.ts'
import type { CellFacts } from './notebook-cells.ts'

/** Cells that run as one step, and the steps it waits for. */
export interface Group {
  id?: string
  cells: CellFacts[]
  deps: Set<Group>
}

/** Names a step takes from outside: read by its cells before they write them; parameters and imports left out. */
export function externalReads(cells: CellFacts[], params: Set<string>, setup: CellFacts[]): Set<string> {
  const imported = new Set(setup.flatMap((c) => [...c.writes]))
  const written = new Set<string>()
  const reads = new Set<string>()
  for (const cell of cells) {
    for (const name of cell.reads) if (!written.has(name) && !params.has(name) && !imported.has(name)) reads.add(name)
    for (const name of cell.writes) written.add(name)
  }
  return reads
}

export interface Edge {
  writer: CellFacts
  reader: CellFacts
  name: string
  /** A kernel variable (not a table): only meaningful inside one step. */
  variable: boolean
}

/**
 * Read-after-write edges (the last writer before a reader), plus, for tables, write-after-write and
 * write-after-read edges so a later writer never races an earlier reader or writer.
 */
export function dependencies(cells: CellFacts[], params: Set<string>, problems: CompileProblem[]): Edge[] {
  const edges: Edge[] = []
  const lastWriter = new Map<string, CellFacts>()
  const readersSinceWrite = new Map<string, CellFacts[]>()
  const writtenAnywhere = new Map<string, CellFacts>()
  for (const cell of cells)
    for (const name of cell.writes) if (!writtenAnywhere.has(name)) writtenAnywhere.set(name, cell)
  for (const cell of cells) {
    for (const name of cell.reads) {
      if (params.has(name)) continue
      const writer = lastWriter.get(name)
      if (writer) {
        edges.push({ writer, reader: cell, name, variable: !writer.tableWrites.has(name) })
        readersSinceWrite.set(name, [...(readersSinceWrite.get(name) ?? []), cell])
        continue
      }
      const later = writtenAnywhere.get(name)
      if (later && later !== cell && later.index > cell.index) {
        problems.push({
          code: 'read_before_write',
          message: `'${name}' is read here before any cell writes it (cell ${later.index + 1} writes it later)`,
          cellId: cell.ref,
          cellIndex: cell.index,
        })
      }
    }
    for (const name of cell.tableWrites) {
      const writer = lastWriter.get(name)
      if (writer && writer !== cell) edges.push({ writer, reader: cell, name, variable: false })
      for (const reader of readersSinceWrite.get(name) ?? [])
        if (reader !== cell) edges.push({ writer: reader, reader: cell, name, variable: false })
    }
    for (const name of cell.writes) {
      lastWriter.set(name, cell)
      readersSinceWrite.set(name, [])
    }
  }
  return edges
}

/** Without tags: cells sharing kernel variables run as one step, and steps caught in a cycle are merged. */
export function mergeAuto(groups: Group[], groupOf: Map<CellFacts, Group>, edges: Edge[]): void {
  const merge = (a: Group, b: Group) => {
    if (a === b) return
    const [keep, gone] = (a.cells[0]?.index ?? 0) <= (b.cells[0]?.index ?? 0) ? [a, b] : [b, a]
    for (const cell of gone.cells) groupOf.set(cell, keep)
    keep.cells.push(...gone.cells)
    keep.cells.sort((x, y) => x.index - y.index)
    groups.splice(groups.indexOf(gone), 1)
  }
  for (const edge of edges) {
    const a = groupOf.get(edge.writer)
    const b = groupOf.get(edge.reader)
    if (edge.variable && a && b) merge(a, b)
  }
  for (;;) {
    const ids = new Map(groups.map((g, i) => [g, `g${i}`]))
    const deps = new Map(groups.map((g) => [g, new Set<Group>()]))
    for (const edge of edges) {
      const a = groupOf.get(edge.writer)
      const b = groupOf.get(edge.reader)
      if (a && b && a !== b) deps.get(b)?.add(a)
    }
    const nodes = groups.map((g) => ({
      id: ids.get(g) as string,
      depends_on: [...(deps.get(g) ?? [])].map((d) => ids.get(d) as string),
    }))
    const cycle = checkGraph(nodes).find((p) => p.code === 'cycle')
    if (!cycle) return
    const members = new Set(cycle.message.replace('dependency cycle: ', '').split(' -> '))
    const inCycle = groups.filter((g) => members.has(ids.get(g) as string))
    for (const group of inCycle.slice(1)) merge(inCycle[0] as Group, group)
  }
}

export function orderGroups(groups: Group[]): void {
  groups.sort((a, b) => (a.cells[0]?.index ?? 0) - (b.cells[0]?.index ?? 0))
}

/** Step ids: the tag, else the table or variable the step writes, else `cell_<n>`; unique. */
export function nameGroups(groups: Group[]): void {
  const used = new Set(groups.map((g) => g.id).filter((id): id is string => id !== undefined))
  for (const group of groups) {
    if (group.id !== undefined) continue
    const first = group.cells[0] as CellFacts
    const written = [...group.cells.flatMap((c) => [...c.tableWrites]), ...group.cells.flatMap((c) => [...c.writes])]
    // The bare table name: neither its schema nor its connection (`pg:public.orders` is step `orders`).
    const candidate = (written[0] ?? `cell_${first.index + 1}`).replace(/^.*[.:]/, '').replace(/[^\w-]/g, '_')
    let id = /^[A-Za-z]/.test(candidate) ? candidate : `step_${candidate}`
    for (let n = 2; used.has(id); n++) id = `${id.replace(/_\d+$/, '')}_${n}`
    used.add(id)
    group.id = id
  }
}

/** Reports each cycle (tagged steps only can have one) and drops the edges that point back up the notebook. */
export function breakCycles(groups: Group[], problems: CompileProblem[]): void {
  const nodes = groups.map((g) => ({ id: g.id as string, depends_on: [...g.deps].map((d) => d.id as string) }))
  const cycles = checkGraph(nodes).filter((p) => p.code === 'cycle')
  if (cycles.length === 0) return
  for (const cycle of cycles) {
    problems.push({
      code: 'cycle',
      message: `${cycle.message} (conflicting reads and writes between tagged steps); the compiled pipeline keeps notebook order — retag the cells or split the tables`,
      step: nodes[cycle.step]?.id,
    })
  }
  const position = new Map(groups.map((g, i) => [g, i]))
  for (const group of groups)
    for (const dep of [...group.deps])
      if ((position.get(dep) ?? 0) >= (position.get(group) ?? 0)) group.deps.delete(dep)
}
