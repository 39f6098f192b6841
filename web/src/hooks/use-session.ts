import { useCallback, useEffect, useState } from 'react'
import { ApiError, api } from '../core/api/client.ts'
import type { User } from '../core/auth/types.ts'

export type SessionState = { kind: 'loading' } | { kind: 'signed-out' } | { kind: 'signed-in'; user: User }

/** The signed-in account, from `/api/me`; `reload` after signing in or out. */
export function useSession(): { session: SessionState; reload: () => Promise<void> } {
  const [session, setSession] = useState<SessionState>({ kind: 'loading' })
  const reload = useCallback(async () => {
    try {
      setSession({ kind: 'signed-in', user: await api<User>('GET', '/api/me') })
    } catch (err) {
      // Anything but a clean 401 (server starting, network) also shows the sign-in page, with no account data.
      if (!(err instanceof ApiError) || err.status !== 401) console.warn('session check failed', err)
      setSession({ kind: 'signed-out' })
    }
  }, [])
  useEffect(() => {
    void reload()
  }, [reload])
  return { session, reload }
}
