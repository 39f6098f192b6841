import { useQuery } from '@tanstack/react-query'
import { useCallback } from 'react'
import { ApiError, api } from '../core/api/client.ts'
import { apiKey } from '../core/query/query-client.ts'

export type DataState<T> = { kind: 'loading' } | { kind: 'error'; error: ApiError } | { kind: 'loaded'; data: T }

/**
 * GETs `path` (when set) through the query cache (TanStack Query): pages showing the same path share one request
 * and one cached answer; `reload` refetches after a change.
 */
export function useApiData<T>(path: string | undefined): { state: DataState<T>; reload: () => Promise<void> } {
  const query = useQuery({
    queryKey: apiKey(path ?? ''),
    queryFn: () => api<T>('GET', path ?? ''),
    enabled: Boolean(path),
  })
  const refetch = query.refetch
  const reload = useCallback(async () => {
    await refetch()
  }, [refetch])
  const state: DataState<T> =
    query.data !== undefined
      ? { kind: 'loaded', data: query.data }
      : query.error
        ? {
            kind: 'error',
            error: query.error instanceof ApiError ? query.error : new ApiError(0, 'network', String(query.error)),
          }
        : { kind: 'loading' }
  return { state, reload }
}
