import { AccessCloseCode } from '../auth/close-codes.ts'

/**
 * WebSocket close codes of the collaboration endpoint, shared by server and client so both sides name
 * the same reasons (4xxx mirror the HTTP statuses they correspond to). `unauthorized`, `forbidden` and
 * `accessRevoked` are the {@link AccessCloseCode}s every socket uses when access ends.
 */
export const CollabCloseCode = {
  normal: 1000,
  serverShutdown: 1001,
  protocolError: 1002,
  /** Signed out, session or API token revoked, account disabled. */
  unauthorized: AccessCloseCode.unauthorized,
  forbidden: AccessCloseCode.forbidden,
  notFound: 4404,
  /** The user lost access while connected (removed from the workspace, notebook deleted). */
  accessRevoked: AccessCloseCode.accessRevoked,
  messageTooLarge: 4413,
  internalError: 4500,
} as const

export type CollabCloseCode = (typeof CollabCloseCode)[keyof typeof CollabCloseCode]
