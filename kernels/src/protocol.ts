/**
 * The execution websocket protocol (`/api/kernels/sessions/:id/ws`), shared by server and browser. No
 * dependencies, so the web app can import it as is.
 */
import type { Output } from './kernel.ts'

/** Close codes of the execution websocket (4000-4999 are free for applications). */
export const KernelCloseCode = {
  /** Normal end: the client or server closed deliberately. */
  normal: 1000,
  /** The server is shutting down. */
  serverShutdown: 1001,
  /** The session id does not exist (never created, deleted, or culled when idle). */
  sessionNotFound: 4404,
  /** The caller's credential stopped being valid while connected (signed out, revoked, account disabled). */
  unauthorized: 4401,
  /** The user may not (or no longer) execute in this session's workspace: removed, or no longer an editor. */
  forbidden: 4403,
  /** The session was deleted or culled while connected. */
  sessionClosed: 4410,
} as const

export type KernelCloseCode = (typeof KernelCloseCode)[keyof typeof KernelCloseCode]

export type ClientMessage =
  | { type: 'execute'; requestId: string; code: string; language: 'sql' | 'python'; bindTo?: string }
  | { type: 'interrupt' }
  | { type: 'restart' }

export type ServerMessage =
  /** The cell was queued and got its execution count. */
  | { type: 'queued'; requestId: string; executionCount: number }
  | { type: 'output'; requestId: string; executionCount: number; output: Output }
  | { type: 'done'; requestId: string; executionCount: number }
  | { type: 'restarted' }
  /** A message the server could not act on; the connection stays open. */
  | { type: 'error'; code: string; message: string; requestId?: string }
