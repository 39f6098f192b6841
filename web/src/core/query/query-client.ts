import { QueryClient } from '@tanstack/react-query'
import { ApiError } from '../api/client.ts'

/**
 * The one cache of server state. Queries are keyed by their API path (`['api', path]`), so a change can
 * invalidate everything under a prefix (`invalidateApi('/api/workspaces/w1/pipelines')`). Nothing polls: pages
 * refresh when a websocket says something changed (run status, collaboration) or after their own mutations.
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      // A 4xx will not get better by asking again.
      retry: (failures, error) =>
        !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failures < 2,
    },
  },
})

export const apiKey = (path: string) => ['api', path] as const

/** Marks every cached GET whose path starts with `prefix` stale, refetching the ones on screen. */
export function invalidateApi(prefix: string): Promise<void> {
  return queryClient.invalidateQueries({
    predicate: (q) => q.queryKey[0] === 'api' && typeof q.queryKey[1] === 'string' && q.queryKey[1].startsWith(prefix),
  })
}
