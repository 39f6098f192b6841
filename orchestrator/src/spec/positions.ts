import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml'

export type SpecPath = (string | number)[]

/** Where a problem is: 1-based line and column, as editors count them. */
export interface Position {
  line: number
  column: number
}

/**
 * Maps paths of the parsed value back to YAML source positions. A path that does not exist (a missing
 * key) resolves to its nearest existing ancestor, so every problem still gets a position.
 */
export class SourcePositions {
  constructor(
    readonly document: Document,
    readonly lineCounter: LineCounter,
  ) {}

  at(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset)
    return { line, column: col }
  }

  /** The node at `path`, or the deepest existing ancestor. `key: true` points at a map key instead of its value. */
  nodeAt(path: SpecPath, options: { key?: boolean } = {}): Node | undefined {
    let node: unknown = this.document.contents
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment))
        if (!pair) return node
        if (options.key && i === path.length - 1 && isScalar(pair.key)) return pair.key
        if (!pair.value) return isScalar(pair.key) ? pair.key : node
        node = pair.value
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment]
        if (!item) return node
        node = item
      } else return node as Node | undefined
    }
    return node as Node | undefined
  }

  /**
   * Position of `path`; `offset` moves inside a single-line scalar (e.g. to a token of an expression).
   */
  of(path: SpecPath, options: { key?: boolean; offset?: number } = {}): Position {
    const node = this.nodeAt(path, options)
    const start = node?.range?.[0] ?? 0
    if (options.offset !== undefined && isScalar(node) && node.range) {
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE'
      const plain = node.type === 'PLAIN'
      const single = this.at(node.range[0]).line === this.at(node.range[1]).line
      if ((quoted || plain) && single) return this.at(start + (quoted ? 1 : 0) + options.offset)
    }
    return this.at(start)
  }
}
