/** The answer of one dependency's readiness probe, as reported by `/api/readyz`. */
export interface ProbeResult {
  status: 'up' | 'down'
  latencyMs: number
  error?: string
}

/** Runs `check` with a deadline and turns its outcome into a {@link ProbeResult}; never throws. */
export async function probe(check: () => Promise<unknown>, timeoutMs = 2_000): Promise<ProbeResult> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
    return { status: 'up', latencyMs: elapsed(started) }
  } catch (err) {
    return { status: 'down', latencyMs: elapsed(started), error: err instanceof Error ? err.message : String(err) }
  } finally {
    clearTimeout(timer)
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100
}
