import type { Role, TokenScope } from '../db/schema.ts'

/** Who is calling, as established by `authenticate`. */
export interface Principal {
  userId: string
  email: string
  name: string
  isInstanceAdmin: boolean
  /** `cookie`: a browser session (needs CSRF on writes); `bearer`: a session token; `api_token`: a personal token. */
  via: 'cookie' | 'bearer' | 'api_token'
  /** Session (refresh family) id for session credentials. */
  sessionId?: string
  /** Id of the personal API token (for `api_token`): sockets opened with it close when it is revoked. */
  apiTokenId?: string
  /** Scope of a personal API token. */
  tokenScope?: TokenScope
}

/** Why a presented credential was refused; reported only when the route needs a principal. */
export type CredentialProblem = 'invalid_token' | 'token_expired'

/** The workspace a route acts in, with the caller's role there; set by `authorize` for workspace routes. */
export interface WorkspaceAccess {
  id: string
  name: string
  role: Role
}

export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin', 'owner']

/** True when `actual` is at least `required` in viewer < editor < admin < owner. */
export function roleAtLeast(actual: Role, required: Role): boolean {
  return ROLES.indexOf(actual) >= ROLES.indexOf(required)
}
