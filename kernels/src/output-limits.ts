import type { Output } from './kernel.ts'
import { outputSize } from './output-size.ts'
import { fitTableOutput } from './table-fit.ts'
import { tableOf } from './table-output.ts'

export { outputSize }

export interface OutputLimits {
  /** Bytes of output one cell may produce (text, HTML, base64 images); beyond it output is cut with a notice. */
  maxCellOutputBytes: number
}

export const defaultOutputLimits: OutputLimits = { maxCellOutputBytes: 2 * 1024 * 1024 }

export function truncationNotice(limit: number): Output {
  const size = limit >= 1024 * 1024 ? `${(limit / 1024 / 1024).toFixed(1)} MB` : `${Math.round(limit / 1024)} KB`
  return {
    output_type: 'stream',
    name: 'stderr',
    text: `\n[Output truncated: this cell produced more than ${size} of output; the rest was dropped.]\n`,
  }
}

/**
 * Applies the per-cell budget. Whatever a cell does, at most `maxCellOutputBytes` (plus one notice) is kept,
 * so a runaway `print` loop or a 500 MB image costs the server bounded memory.
 */
export class OutputBudget {
  #used = 0
  #exhausted = false
  constructor(readonly limits: OutputLimits) {}

  get exhausted(): boolean {
    return this.#exhausted
  }

  /**
   * Returns the outputs to keep for `output`: itself, a cut version plus the notice, or nothing. A SQL result
   * is never dropped: it is shrunk to the room left (fewer rows, long values cut; see {@link fitTableOutput}),
   * to its header alone if need be, so its result id, paging, export and Python binding survive.
   */
  admit(output: Output): Output[] {
    if ((output.output_type === 'execute_result' || output.output_type === 'display_data') && tableOf(output)) {
      const fitted = fitTableOutput(output, Math.max(0, this.limits.maxCellOutputBytes - this.#used))
      this.#used += outputSize(fitted)
      return [fitted]
    }
    if (this.#exhausted) return output.output_type === 'error' ? [output] : []
    const size = outputSize(output)
    const room = this.limits.maxCellOutputBytes - this.#used
    if (size <= room) {
      this.#used += size
      return [output]
    }
    this.#exhausted = true
    const notice = truncationNotice(this.limits.maxCellOutputBytes)
    // Text streams keep what fits, so the user sees where it went wrong; rich outputs cannot be cut in half.
    if (output.output_type === 'stream' && room > 0) return [{ ...output, text: output.text.slice(0, room) }, notice]
    if (output.output_type === 'error') return [notice, output]
    return [notice]
  }
}
