import { collectOutputs, type Kernel, type Output, TABLE_MIME_TYPE, type TableData } from '../../src/index.ts'

/** The text a user would read from outputs: streams, text/plain, and errors as `Name: value`. */
export function textOf(outputs: Output[]): string {
  return outputs
    .map((o) => {
      if (o.output_type === 'stream') return o.text
      if (o.output_type === 'error') return `${o.ename}: ${o.evalue}`
      return String(o.data['text/plain'] ?? '')
    })
    .join('\n')
}

export function run(kernel: Kernel, code: string): Promise<Output[]> {
  return collectOutputs(kernel.execute(code))
}

export function errorsOf(outputs: Output[]) {
  return outputs.filter((o) => o.output_type === 'error')
}

/** The table of the cell's execute_result (SQL kernels). */
export function tableOf(outputs: Output[]): TableData {
  const result = outputs.findLast((o) => o.output_type === 'execute_result' || o.output_type === 'display_data')
  if (!result || !('data' in result)) throw new Error(`no table output in ${JSON.stringify(outputs).slice(0, 500)}`)
  return result.data[TABLE_MIME_TYPE] as TableData
}

/** Resolves when the kernel reports `status` (or already is in it). */
export function statusReached(kernel: Kernel, status: Kernel['status']): Promise<void> {
  if (kernel.status === status) return Promise.resolve()
  return new Promise((resolve) => {
    const off = kernel.onStatus((s) => {
      if (s === status) {
        off()
        resolve()
      }
    })
  })
}
