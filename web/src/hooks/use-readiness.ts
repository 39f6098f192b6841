import { useEffect, useState } from 'react'
import { fetchReadiness, type ReadinessState } from '../core/health/readiness.ts'

/** Polls `/api/readyz` every `intervalMs` while mounted. */
export function useReadiness(intervalMs = 2_000): ReadinessState {
  const [state, setState] = useState<ReadinessState>({ kind: 'loading' })
  useEffect(() => {
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const poll = async () => {
      const next = await fetchReadiness(controller.signal)
      if (controller.signal.aborted) return
      setState(next)
      timer = setTimeout(poll, intervalMs)
    }
    void poll()
    return () => {
      controller.abort()
      clearTimeout(timer)
    }
  }, [intervalMs])
  return state
}
