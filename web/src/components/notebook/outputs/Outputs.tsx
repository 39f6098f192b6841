import { useState } from 'react'
import { type ChartChoice, VEGA_LITE_MIME } from '../../../core/notebook/chart-spec.ts'
import { TABLE_MIME_TYPE, type TableData } from '../../../core/notebook/execution.ts'
import { joinText, renderMarkdown, sanitizeSvg } from '../../../core/notebook/render-safe.ts'
import { AnsiText } from './AnsiText.tsx'
import { DataGrid } from './DataGrid.tsx'
import { HtmlFrame } from './HtmlFrame.tsx'
import { VegaView } from './VegaView.tsx'

/** A Jupyter output as stored in the document (nbformat 4). */
export interface CellOutput {
  output_type: string
  name?: string
  text?: string | string[]
  data?: Record<string, unknown>
  ename?: string
  evalue?: string
  traceback?: string[]
  /** `masked`: result columns whose values the server masked (PII-tagged in the catalog). */
  metadata?: Record<string, unknown>
}

/** Richest first: what a bundle is shown as. */
const PRIORITY = [
  TABLE_MIME_TYPE,
  VEGA_LITE_MIME,
  'application/vnd.vegalite.v4+json',
  'text/html',
  'image/svg+xml',
  'image/png',
  'image/jpeg',
  'text/markdown',
  'application/json',
  'text/plain',
]

interface ChartProps {
  /** The cell's saved chart: drawn under its last SQL result. */
  chart?: ChartChoice
  onSaveChart?: (choice: ChartChoice | undefined) => void
}

/** Text outputs longer than this many lines are shown in a scrolled box (as Jupyter's "scrolled" outputs). */
export const SCROLL_AFTER_LINES = 100

function lineCount(outputs: CellOutput[]): number {
  let lines = 0
  for (const o of outputs) {
    if (o.output_type !== 'stream') continue
    const text = joinText(o.text)
    for (let i = text.indexOf('\n'); i !== -1 && lines <= SCROLL_AFTER_LINES; i = text.indexOf('\n', i + 1)) lines++
  }
  return lines
}

/** The outputs of a code cell, each in its safest faithful rendering; long text scrolls in its own box. */
export function Outputs({ outputs, chart, onSaveChart }: { outputs: CellOutput[] } & ChartProps) {
  const [expanded, setExpanded] = useState(false)
  if (outputs.length === 0) return null
  const lastTable = outputs.findLastIndex((o) => o.data !== undefined && TABLE_MIME_TYPE in o.data)
  const long = lineCount(outputs) > SCROLL_AFTER_LINES
  const scrolled = long && !expanded
  return (
    <>
      {long && (
        <button type="button" className="link output-scroll-toggle" onClick={() => setExpanded(!expanded)}>
          {expanded ? 'Scroll long output' : 'Show output in full'}
        </button>
      )}
      <div className={`outputs${scrolled ? ' scrolled' : ''}`} data-testid="outputs" data-scrolled={scrolled}>
        {outputs.map((o, i) => (
          <OutputView key={i} output={o} chart={i === lastTable ? chart : undefined} onSaveChart={onSaveChart} />
        ))}
      </div>
    </>
  )
}

/** Kernels repeat `ename: evalue` as the traceback's last line (Python) or only line (SQL): show it once. */
function tracebackRepeats(output: CellOutput): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what is stripped
  const text = (output.traceback ?? []).join('\n').replace(/\u001b\[[0-9;]*m/g, '')
  return text.includes(output.evalue ?? '') && (output.ename === undefined || text.includes(output.ename))
}

function OutputView({ output, chart, onSaveChart }: { output: CellOutput } & ChartProps) {
  switch (output.output_type) {
    case 'stream':
      return <AnsiText text={joinText(output.text)} className={output.name === 'stderr' ? 'stderr' : 'stdout'} />
    case 'error':
      return (
        <div className="error-output" role="alert" data-testid="error-output">
          {!tracebackRepeats(output) && (
            <strong>
              {output.ename}: {output.evalue}
            </strong>
          )}
          {output.traceback && output.traceback.length > 0 && <AnsiText text={output.traceback.join('\n')} />}
        </div>
      )
    case 'execute_result':
    case 'display_data':
      return <MimeBundle data={output.data ?? {}} masked={maskedOf(output)} chart={chart} onSaveChart={onSaveChart} />
    default:
      return null
  }
}

/** Names of the masked columns of a SQL result output (`metadata.masked`, written by the server). */
function maskedOf(output: CellOutput): string[] {
  const masked = output.metadata?.masked
  return Array.isArray(masked) ? masked.filter((m): m is string => typeof m === 'string') : []
}

function MimeBundle({
  data,
  masked,
  chart,
  onSaveChart,
}: {
  data: Record<string, unknown>
  masked: string[]
} & ChartProps) {
  const mime = PRIORITY.find((m) => m in data)
  if (!mime) return <p className="muted">Output of a type this page cannot show ({Object.keys(data).join(', ')}).</p>
  const value = data[mime]
  switch (mime) {
    case TABLE_MIME_TYPE:
      return <DataGrid data={value as TableData} masked={masked} chart={chart} onSaveChart={onSaveChart} />
    case VEGA_LITE_MIME:
    case 'application/vnd.vegalite.v4+json':
      return <VegaView spec={typeof value === 'string' ? JSON.parse(value) : value} />
    case 'text/html':
      return <HtmlFrame html={joinText(value)} />
    case 'image/svg+xml':
      return (
        // Sanitised (no scripts, handlers or foreign objects) before it touches the page.
        <div
          className="svg-output"
          data-testid="svg-output"
          dangerouslySetInnerHTML={{ __html: sanitizeSvg(joinText(value)) }}
        />
      )
    case 'image/png':
    case 'image/jpeg':
      return (
        <img
          className="image-output"
          alt="Cell output"
          src={`data:${mime};base64,${joinText(value).replace(/\s/g, '')}`}
        />
      )
    case 'text/markdown':
      return <div className="markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(joinText(value)) }} />
    case 'application/json':
      return <pre className="json-output">{JSON.stringify(value, null, 2)}</pre>
    default:
      return <AnsiText text={joinText(value)} />
  }
}
