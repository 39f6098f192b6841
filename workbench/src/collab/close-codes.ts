/**
 * WebSocket close codes of the collaboration endpoint, shared by server and client so both sides name
 * the same reasons (4xxx mirror the HTTP statuses they correspond to).
 */
export const CollabCloseCode = {
  normal: 1000,
  serverShutdown: 1001,
  protocolError: 1002,
  unauthorized: 4401,
  forbidden: 4403,
  notFound: 4404,
  /** The user lost access while connected (removed from the workspace, notebook deleted). */
  accessRevoked: 4410,
  messageTooLarge: 4413,
  internalError: 4500,
} as const

export type CollabCloseCode = (typeof CollabCloseCode)[keyof typeof CollabCloseCode]
