import { useEffect, useRef, useState } from 'react'
import embed from 'vega-embed'
import { expressionInterpreter } from 'vega-interpreter'
import { effectiveTheme, storedTheme } from '../../../core/ui/theme.ts'

/**
 * A Vega-Lite spec rendered with vega-embed. The expression interpreter (not `new Function`) keeps it working
 * under the app's Content-Security-Policy; remote data loading is refused (nothing loads from outside).
 */
export function VegaView({ spec }: { spec: unknown }) {
  const host = useRef<HTMLDivElement>(null)
  const [error, setError] = useState<string>()
  useEffect(() => {
    const element = host.current
    if (!element || !spec || typeof spec !== 'object') return
    let finalize: (() => void) | undefined
    let cancelled = false
    const refuse = () => Promise.reject(new Error('charts may only use inline data'))
    embed(element, spec as never, {
      actions: { export: true, source: false, compiled: false, editor: false },
      ast: true,
      expr: expressionInterpreter,
      renderer: 'svg',
      theme: effectiveTheme(storedTheme()) === 'dark' ? 'dark' : undefined,
      loader: { load: refuse, sanitize: refuse, http: refuse, file: refuse } as never,
    }).then(
      (result) => {
        if (cancelled) result.finalize()
        else finalize = () => result.finalize()
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    )
    return () => {
      cancelled = true
      finalize?.()
    }
  }, [spec])
  return (
    <div className="vega-output" data-testid="vega-output">
      <div ref={host} />
      {error && <p className="status-down">Chart error: {error}</p>}
    </div>
  )
}
