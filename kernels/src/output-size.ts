import type { Output } from './kernel.ts'

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
