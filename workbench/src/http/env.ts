import type { RequestIdVariables } from 'hono/request-id'
import type { CredentialProblem, Principal, WorkspaceAccess } from '../auth/principal.ts'

/** Hono environment shared by every route: variables set by middleware. */
export interface AppEnv {
  Variables: RequestIdVariables & {
    /** Set by `authenticate` when the request carries a valid credential. */
    principal?: Principal
    /** Set by `authenticate` when a credential was presented but refused. */
    credentialProblem?: CredentialProblem
    /** Set by `authorize` on routes scoped to a workspace. */
    workspace?: WorkspaceAccess
    /** A handler that creates a workspace names it here, so the audit event lands in that workspace's log. */
    auditWorkspaceId?: string
    /** Client address as established by `clientIp` (proxy headers only when trusted). */
    clientIp: string
    /** True when the client reached us over TLS (directly, or through a trusted proxy). */
    secureTransport: boolean
  }
}
