import { useState } from 'react'

/**
 * HTML output in a sandboxed iframe WITHOUT allow-same-origin (and without scripts): whatever it contains
 * has an opaque origin with no access to the app, its cookies or its DOM. It is never injected into the page.
 */
export function HtmlFrame({ html }: { html: string }) {
  const [tall, setTall] = useState(false)
  const doc = `<!doctype html><html><head><meta charset="utf-8"><style>body{font:13px system-ui,sans-serif;margin:4px;color:#222;background:#fff}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>${html}</body></html>`
  return (
    <div className="html-output">
      <iframe
        title="HTML output"
        sandbox=""
        srcDoc={doc}
        referrerPolicy="no-referrer"
        style={{ height: tall ? 600 : 220 }}
        data-testid="html-output"
      />
      <button type="button" className="link" onClick={() => setTall((t) => !t)}>
        {tall ? 'Shrink' : 'Expand'}
      </button>
    </div>
  )
}
