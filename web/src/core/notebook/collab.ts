import { YNotebook } from '@jupyter/ydoc'
import { WebsocketProvider } from 'y-websocket'
import { refreshSession } from '../api/client.ts'
import type { User } from '../auth/types.ts'

/** The server's collaboration close codes (workbench/src/collab/close-codes.ts), mirrored. */
export const CollabCloseCode = {
  unauthorized: 4401,
  forbidden: 4403,
  notFound: 4404,
  accessRevoked: 4410,
  messageTooLarge: 4413,
  internalError: 4500,
} as const

export type ConnectionState = 'connecting' | 'connected' | 'offline' | 'closed'

/** What collaborators publish about themselves through awareness. */
export interface Presence {
  id: string
  name: string
  color: string
}

export interface NotebookSession {
  notebook: YNotebook
  provider: WebsocketProvider
  /** True once the first sync with the server completed (the document is the server's). */
  synced(): boolean
  onSync(listener: () => void): () => void
  state(): ConnectionState
  onState(listener: (state: ConnectionState, reason?: string) => void): () => void
  destroy(): void
}

const COLORS = ['#d9480f', '#1c7ed6', '#2b8a3e', '#ae3ec9', '#e8590c', '#0c8599', '#c2255c', '#5f3dc4']

/** A stable colour per user, so a collaborator keeps their colour across reloads. */
export function colorFor(id: string): string {
  let h = 0
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return COLORS[h % COLORS.length] as string
}

/**
 * Opens the shared document of a notebook over `/api/workspaces/{ws}/notebooks/{id}/collab` (y-websocket
 * protocol, session cookie). Local edits are kept while offline and merged on reconnect (Yjs), so a
 * dropped connection never loses or duplicates anything.
 */
export function openNotebookSession(workspaceId: string, notebookId: string, user: User): NotebookSession {
  const notebook = new YNotebook({})
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  const serverUrl = `${scheme}://${window.location.host}/api/workspaces/${encodeURIComponent(workspaceId)}/notebooks`
  const provider = new WebsocketProvider(serverUrl, `${encodeURIComponent(notebookId)}/collab`, notebook.ydoc, {
    maxBackoffTime: 5_000,
    // Another tab of the same browser is a separate collaborator (with its own cursor), not a shortcut.
    disableBc: true,
  })
  const presence: Presence = { id: user.id, name: user.name || user.email, color: colorFor(user.id) }
  provider.awareness.setLocalStateField('user', presence)

  let state: ConnectionState = 'connecting'
  const stateListeners = new Set<(state: ConnectionState, reason?: string) => void>()
  const setState = (next: ConnectionState, reason?: string) => {
    state = next
    for (const l of stateListeners) l(next, reason)
  }
  provider.on('status', ({ status }: { status: string }) => {
    if (state === 'closed') return
    if (status === 'connected') setState('connected')
    else if (status === 'disconnected') setState('offline')
  })
  // y-websocket stops reconnecting on 44xx closes. An expired access cookie (4401) is refreshed once and
  // the connection resumed; lost access (4403/4404/4410) ends the session with its reason.
  provider.on('closed', ({ code, reason }: { code: number; reason: string }) => {
    if (code === CollabCloseCode.unauthorized) {
      void refreshSession().then((ok) => {
        if (ok) provider.connect()
        else setState('closed', 'Your session expired: sign in again')
      })
      return
    }
    setState('closed', reason || 'You no longer have access to this notebook')
  })
  const syncListeners = new Set<() => void>()
  provider.on('sync', (isSynced: boolean) => {
    if (isSynced) for (const l of syncListeners) l()
  })
  return {
    notebook,
    provider,
    synced: () => provider.synced,
    onSync: (l) => {
      syncListeners.add(l)
      return () => syncListeners.delete(l)
    },
    state: () => state,
    onState: (l) => {
      stateListeners.add(l)
      return () => stateListeners.delete(l)
    },
    destroy: () => {
      provider.destroy()
      notebook.dispose()
    },
  }
}
