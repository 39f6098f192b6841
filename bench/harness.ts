/** One line of benchmark output: our number next to a baseline measured in the same run. */
export interface BenchResult {
  name: string
  ours: number
  baseline: number
  unit: string
  /** Anything else worth printing (peak memory, sample size…). */
  notes?: Record<string, string | number>
}

export type Benchmark = () => Promise<BenchResult[]>

/** Runs `fn` `iterations` times after `warmup` runs; returns each run's wall time in milliseconds. */
export async function sample(
  fn: () => Promise<unknown>,
  iterations: number,
  warmup = Math.ceil(iterations / 10),
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn()
  const times: number[] = []
  for (let i = 0; i < iterations; i++) {
    const started = performance.now()
    await fn()
    times.push(performance.now() - started)
  }
  return times
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] ?? Number.NaN
}

export function formatResult(result: BenchResult): string {
  const ratio = result.ours / result.baseline
  const fmt = (v: number) => `${v < 10 ? v.toFixed(3) : v.toFixed(1)}${result.unit}`
  const notes = Object.entries(result.notes ?? {})
    .map(([k, v]) => `, ${k}=${v}`)
    .join('')
  return `${result.name}: ours=${fmt(result.ours)}, baseline=${fmt(result.baseline)}, ratio=${ratio.toFixed(2)}${notes}`
}
