import { useEffect, useState } from 'react'
import type { PipelinesApi } from '../core/pipelines/pipelines-api.ts'
import type { SpecProblem } from '../core/pipelines/types.ts'

export type ValidationState = { kind: 'idle' } | { kind: 'checking' } | { kind: 'checked'; problems: SpecProblem[] }

/**
 * Validates `yaml` on the server a moment after typing stops (spec and workspace references), so the
 * editor shows problems as markers while the user writes. Off when `enabled` is false (viewers).
 */
export function usePipelineValidation(
  api: PipelinesApi,
  yaml: string,
  enabled: boolean,
): { state: ValidationState; problems: SpecProblem[]; setProblems: (p: SpecProblem[]) => void } {
  const [state, setState] = useState<ValidationState>({ kind: 'idle' })
  const [problems, setProblems] = useState<SpecProblem[]>([])
  useEffect(() => {
    if (!enabled || !yaml.trim()) return
    let cancelled = false
    const timer = setTimeout(() => {
      setState({ kind: 'checking' })
      api
        .validate(yaml)
        .then((found) => {
          if (cancelled) return
          setProblems(found)
          setState({ kind: 'checked', problems: found })
        })
        .catch(() => !cancelled && setState({ kind: 'idle' }))
    }, 500)
    return () => {
      cancelled = true
      clearTimeout(timer)
    }
  }, [yaml, enabled])
  return { state, problems, setProblems }
}
