import { describe, expect, it } from 'vitest'
import type { RunLogLevel } from '../types.ts'
import { MAX_LOG_LINES_PER_STEP, outputLog } from './output-log.ts'

function collect() {
  const lines: [string, RunLogLevel | undefined][] = []
  return { lines, log: outputLog((message, level) => lines.push([message, level])) }
}

describe('step output as run-log lines', () => {
  it('writes printed lines as they complete (stderr as warnings), results and errors', () => {
    const { lines, log } = collect()
    log.write({ output_type: 'stream', name: 'stdout', text: 'loading ' })
    expect(lines).toEqual([])
    log.write({ output_type: 'stream', name: 'stdout', text: 'orders\nrows: 7\npart' })
    log.write({ output_type: 'stream', name: 'stderr', text: 'careful\n' })
    log.write({
      output_type: 'execute_result',
      data: { 'application/vnd.workbench.table+json': { totalRows: 5000, columns: [{}, {}] } },
    })
    log.write({ output_type: 'error', ename: 'ValueError', evalue: 'bad' })
    expect(lines).toEqual([
      ['loading orders', 'info'],
      ['rows: 7', 'info'],
      ['careful', 'warn'],
      ['part', 'info'],
      ['5,000 rows × 2 columns', 'info'],
      ['ValueError: bad', 'error'],
    ])
  })

  it('stops writing past the per-step cap and says so once', () => {
    const { lines, log } = collect()
    log.write({ output_type: 'stream', name: 'stdout', text: 'x\n'.repeat(MAX_LOG_LINES_PER_STEP + 50) })
    expect(lines).toHaveLength(MAX_LOG_LINES_PER_STEP + 1)
    expect(lines.at(-1)?.[0]).toMatch(/the rest is in the artifact/)
  })
})
