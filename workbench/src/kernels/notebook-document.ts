import type { Output } from '@workbench/kernels'
import * as Y from 'yjs'

/** Run state of one cell, kept in the document's top-level `execution` map. */
export interface CellRunState {
  state: 'queued' | 'running' | 'ok' | 'error' | 'interrupted'
  queuedAt: number
  startedAt?: number
  finishedAt?: number
  durationMs?: number
  /** Id of the user who asked for the run. */
  by: string
}

/** Kernel status shown to every collaborator (`ydoc.getMap('kernel').get('status')`). */
export type DocumentKernelStatus = 'none' | 'starting' | 'idle' | 'busy' | 'dead'

/** A cell as the server reads it from the live document before running it. */
export interface DocumentCell {
  cellType: unknown
  source: string
  metadata: unknown
}

/** The Y.Map of a cell in the YNotebook schema (@jupyter/ydoc), by cell id. */
export function findCell(doc: Y.Doc, cellId: string): Y.Map<unknown> | undefined {
  for (const cell of doc.getArray<Y.Map<unknown>>('cells')) if (cell.get('id') === cellId) return cell
  return undefined
}

export function readCell(doc: Y.Doc, cellId: string): DocumentCell | undefined {
  const cell = findCell(doc, cellId)
  if (!cell) return undefined
  const source = cell.get('source')
  const metadata = cell.get('metadata')
  return {
    cellType: cell.get('cell_type'),
    source: source instanceof Y.Text ? source.toString() : typeof source === 'string' ? source : '',
    metadata: metadata instanceof Y.Map ? metadata.toJSON() : metadata,
  }
}

/** The cell's outputs array, created if a cell came without one. */
function outputsOf(cell: Y.Map<unknown>): Y.Array<Y.Map<unknown>> {
  const outputs = cell.get('outputs')
  if (outputs instanceof Y.Array) return outputs as Y.Array<Y.Map<unknown>>
  const created = new Y.Array<Y.Map<unknown>>()
  cell.set('outputs', created)
  return created
}

export function clearOutputs(cell: Y.Map<unknown>): void {
  const outputs = outputsOf(cell)
  if (outputs.length > 0) outputs.delete(0, outputs.length)
}

/**
 * Appends outputs as @jupyter/ydoc stores them: one Y.Map per output, stream text in a Y.Text. Consecutive
 * stream chunks of the same stream extend its text (as JupyterLab shows them), instead of adding outputs.
 */
export function appendOutputs(cell: Y.Map<unknown>, outputs: Output[]): void {
  const array = outputsOf(cell)
  for (const output of outputs) {
    if (output.output_type === 'stream') {
      const last = array.length > 0 ? array.get(array.length - 1) : undefined
      const text = last?.get('text')
      if (last?.get('output_type') === 'stream' && last.get('name') === output.name && text instanceof Y.Text) {
        text.insert(text.length, output.text)
        continue
      }
      const ytext = new Y.Text()
      ytext.insert(0, output.text)
      array.push([
        new Y.Map<unknown>([
          ['output_type', 'stream'],
          ['name', output.name],
          ['text', ytext],
        ]),
      ])
      continue
    }
    // JSON round trip: Yjs stores plain JSON, and an `undefined` anywhere would not survive encoding.
    const plain = JSON.parse(JSON.stringify(output)) as Record<string, unknown>
    array.push([new Y.Map<unknown>(Object.entries(plain))])
  }
}

export function setExecutionCount(cell: Y.Map<unknown>, count: number | null): void {
  if (cell.get('execution_count') !== count) cell.set('execution_count', count)
}

export function runStates(doc: Y.Doc): Y.Map<CellRunState> {
  return doc.getMap<CellRunState>('execution')
}

export function setKernelStatus(doc: Y.Doc, status: DocumentKernelStatus): void {
  const kernel = doc.getMap<unknown>('kernel')
  if (kernel.get('status') !== status) kernel.set('status', status)
}
