import type { Output } from './kernel.ts'

export interface OutputLimits {
  /** Bytes of output one cell may produce (text, HTML, base64 images); beyond it output is cut with a notice. */
  maxCellOutputBytes: number
}

export const defaultOutputLimits: OutputLimits = { maxCellOutputBytes: 2 * 1024 * 1024 }

/** Size of an output as stored and sent: strings by length, anything else by its JSON. */
export function outputSize(output: Output): number {
  switch (output.output_type) {
    case 'stream':
      return output.text.length
    case 'error':
      return output.evalue.length + output.traceback.reduce((n, line) => n + line.length, 0)
    default: {
      let size = 0
      for (const value of Object.values(output.data))
        size += typeof value === 'string' ? value.length : JSON.stringify(value ?? null).length
      return size
    }
  }
}

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

  /** Returns the outputs to keep for `output`: itself, a cut version plus the notice, or nothing. */
  admit(output: Output): Output[] {
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
