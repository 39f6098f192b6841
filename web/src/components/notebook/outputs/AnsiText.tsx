import Anser from 'anser'
import { useState } from 'react'
import { TEXT_LIMIT } from '../../../core/notebook/render-safe.ts'

/** Text with ANSI colours (kernel streams, tracebacks) as styled spans: React text, never HTML. */
export function AnsiText({ text, className }: { text: string; className?: string }) {
  const [all, setAll] = useState(false)
  const shown = all || text.length <= TEXT_LIMIT ? text : text.slice(0, TEXT_LIMIT)
  const parts = Anser.ansiToJson(shown, { use_classes: true, remove_empty: true })
  return (
    <>
      <pre className={`ansi ${className ?? ''}`}>
        {parts.map((p, i) => (
          <span
            key={i}
            className={[p.fg && `${p.fg}-fg`, p.bg && `${p.bg}-bg`, ...p.decorations.map((d) => `ansi-${d}`)]
              .filter(Boolean)
              .join(' ')}
          >
            {p.content}
          </span>
        ))}
      </pre>
      {shown.length < text.length && (
        <p className="truncation" data-testid="truncation-notice">
          Output truncated: showing {shown.length.toLocaleString()} of {text.length.toLocaleString()} characters.{' '}
          <button type="button" className="link" onClick={() => setAll(true)}>
            Show all
          </button>
        </p>
      )}
    </>
  )
}
