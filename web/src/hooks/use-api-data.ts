import { useCallback, useEffect, useState } from 'react'
import { ApiError, api } from '../core/api/client.ts'

export type DataState<T> = { kind: 'loading' } | { kind: 'error'; error: ApiError } | { kind: 'loaded'; data: T }

/** GETs `path` (when set) and exposes `reload` for after a change. */
export function useApiData<T>(path: string | undefined): { state: DataState<T>; reload: () => Promise<void> } {
  const [state, setState] = useState<DataState<T>>({ kind: 'loading' })
  const reload = useCallback(async () => {
    if (!path) return
    try {
      setState({ kind: 'loaded', data: await api<T>('GET', path) })
    } catch (err) {
      setState({ kind: 'error', error: err instanceof ApiError ? err : new ApiError(0, 'network', String(err)) })
    }
  }, [path])
  useEffect(() => {
    void reload()
  }, [reload])
  return { state, reload }
}
