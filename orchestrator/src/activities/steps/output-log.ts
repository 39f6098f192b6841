import type { RunLogLevel } from '../types.ts'
import type { CellOutput } from './kernel-session.ts'

/** Lines one step writes to the run log; the rest is in its artifact (a print loop must not flood the log). */
export const MAX_LOG_LINES_PER_STEP = 500
const MAX_LINE_CHARS = 2_000
const TABLE_MIME = 'application/vnd.workbench.table+json'

/**
 * Turns a step's kernel outputs into run-log lines as they arrive: each printed line (stderr as warnings), SQL
 * results as their row count, errors as `ename: evalue`. Lines past {@link MAX_LOG_LINES_PER_STEP} are
 * counted, not written, and said so once.
 *
 * @example
 * const lines = outputLog(context.log)
 * for await (const output of execution.outputs) lines.write(output)
 */
export function outputLog(log: (message: string, level?: RunLogLevel) => void) {
  let written = 0
  let dropped = 0
  // Streams arrive in chunks that need not end at a line break: keep the partial line until it does.
  const partial = new Map<string, string>()
  const line = (message: string, level: RunLogLevel = 'info') => {
    if (written >= MAX_LOG_LINES_PER_STEP) {
      if (dropped++ === 0)
        log(`… more output than ${MAX_LOG_LINES_PER_STEP} lines: the rest is in the artifact`, 'warn')
      return
    }
    written++
    log(message.length > MAX_LINE_CHARS ? `${message.slice(0, MAX_LINE_CHARS)}…` : message, level)
  }
  const flush = (name: string) => {
    const rest = partial.get(name)
    partial.delete(name)
    if (rest) line(rest, name === 'stderr' ? 'warn' : 'info')
  }
  return {
    /** A free-form line of the step itself (cell started, SQL timings). */
    note: (message: string, level?: RunLogLevel) => line(message, level),
    write(output: CellOutput): void {
      if (output.output_type === 'stream') {
        const name = output.name ?? 'stdout'
        const text =
          (partial.get(name) ?? '') + (Array.isArray(output.text) ? output.text.join('') : (output.text ?? ''))
        const lines = text.split(/\r?\n/)
        partial.set(name, lines.pop() ?? '')
        for (const l of lines) line(l, name === 'stderr' ? 'warn' : 'info')
        return
      }
      for (const name of [...partial.keys()]) flush(name)
      if (output.output_type === 'error') {
        line(`${output.ename ?? 'Error'}: ${output.evalue ?? ''}`, 'error')
        return
      }
      const data = output.data as Record<string, unknown> | undefined
      const table = data?.[TABLE_MIME] as { totalRows?: number; columns?: unknown[] } | undefined
      if (table) {
        const rows = table.totalRows ?? 0
        const columns = table.columns?.length ?? 0
        line(
          `${rows.toLocaleString('en-US')} row${rows === 1 ? '' : 's'} × ${columns} column${columns === 1 ? '' : 's'}`,
        )
        return
      }
      const plain = data?.['text/plain']
      if (output.output_type === 'execute_result' && plain !== undefined) {
        const text = Array.isArray(plain) ? plain.join('') : String(plain)
        const first = text.split('\n')[0] ?? ''
        line(`→ ${first}${text.includes('\n') ? ' …' : ''}`)
      }
    },
    /** Writes what is left of unfinished lines (the step's outputs are done). */
    end(): void {
      for (const name of [...partial.keys()]) flush(name)
    },
  }
}
