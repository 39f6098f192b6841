/**
 * Close codes every long-lived socket uses when access ends while it is open, shared by server and
 * clients (4xxx mirror the HTTP statuses they correspond to). Each socket's own code table spreads this
 * one, so "signed out" is 4401 on the collaboration, kernels and run-log sockets alike.
 */
export const AccessCloseCode = {
  /** The credential stopped being valid: sign-out, session or API token revoked, account disabled. */
  unauthorized: 4401,
  /** The caller's role in the workspace no longer allows what this socket does (e.g. downgraded to viewer). */
  forbidden: 4403,
  /** The caller lost access to the workspace (removed, or the workspace was deleted). */
  accessRevoked: 4410,
} as const

export type AccessCloseCode = (typeof AccessCloseCode)[keyof typeof AccessCloseCode]
