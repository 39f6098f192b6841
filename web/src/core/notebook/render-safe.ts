import DOMPurify from 'dompurify'
import { marked } from 'marked'

/** Markdown to HTML that is safe to put in the page: marked, then DOMPurify (no scripts, handlers, forms). */
export function renderMarkdown(source: string): string {
  const html = marked.parse(source, { async: false, gfm: true }) as string
  return DOMPurify.sanitize(html, { FORBID_TAGS: ['style', 'form', 'input'], FORBID_ATTR: ['style'] })
}

/** An SVG image stripped of scripts, event handlers and external references. */
export function sanitizeSvg(svg: string): string {
  return DOMPurify.sanitize(svg, {
    USE_PROFILES: { svg: true, svgFilters: true },
    FORBID_TAGS: ['foreignObject', 'use'],
  })
}

/** Jupyter mime values are a string or a list of lines. */
export function joinText(value: unknown): string {
  if (Array.isArray(value)) return value.join('')
  if (typeof value === 'string') return value
  return value === undefined || value === null ? '' : JSON.stringify(value)
}

/** Longest text output shown before a "show all" notice (keeps huge logs from freezing the page). */
export const TEXT_LIMIT = 20_000
