import * as Y from 'yjs'
import { cellSource } from './live-document.ts'

/** A text range of a cell's source, stored as Yjs relative positions so it follows concurrent edits. */
export interface StoredAnchor {
  start: unknown
  end: unknown
  /** The text the range covered when the comment was written (to find it again after a cell move). */
  quote: string
}

/** Where a stored range is now in the live document. */
export interface ResolvedRange {
  from: number
  to: number
  quote: string
  /** `positions`: followed the edits exactly; `quote`: the cell was recreated (moved, restored), found by its text. */
  followedBy: 'positions' | 'quote'
}

/** Anchors [from, to) of the source of `cellId`; the range must fit in the current text. */
export function createAnchor(doc: Y.Doc, cellId: string, from: number, to: number): StoredAnchor | string {
  const text = cellSource(doc, cellId)
  if (!text) return `cell ${cellId} has no source text`
  if (from < 0 || to < from || to > text.length)
    return `range ${from}-${to} is outside the cell source (length ${text.length})`
  return {
    // Text typed at the start of the range is outside it, text typed at its end too.
    start: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, from, 0)),
    end: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, to, -1)),
    quote: text.toString().slice(from, to),
  }
}

/** The anchor's current range, or null when neither its positions nor its quote can be found. */
export function resolveAnchor(doc: Y.Doc, cellId: string, anchor: StoredAnchor): ResolvedRange | null {
  const text = cellSource(doc, cellId)
  if (!text) return null
  const start = absolute(doc, anchor.start)
  const end = absolute(doc, anchor.end)
  if (start && end && start.type === text && end.type === text && end.index >= start.index) {
    return {
      from: start.index,
      to: end.index,
      quote: text.toString().slice(start.index, end.index),
      followedBy: 'positions',
    }
  }
  if (anchor.quote === '') return null
  const at = text.toString().indexOf(anchor.quote)
  if (at < 0) return null
  return { from: at, to: at + anchor.quote.length, quote: anchor.quote, followedBy: 'quote' }
}

function absolute(doc: Y.Doc, json: unknown): Y.AbsolutePosition | null {
  try {
    return Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(json), doc)
  } catch {
    return null
  }
}
