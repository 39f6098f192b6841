import type { SqlKernel } from '@workbench/kernels'
import type { z } from 'zod'
import type { IntrospectionItem } from '../introspection.ts'
import type { ResolvedHost } from '../network-guard.ts'

/** Pool limits every type honours. */
export interface PoolOptions {
  max: number
  idleTimeoutMs: number
  /** Connect (and test) timeout. */
  timeoutMs: number
}

/** What a successful test found: the server's version, and for API connectors who we are there. */
export interface TestDetails {
  serverVersion: string
  /** Type-specific facts shown with the test (Odoo: protocol, user, companies). */
  details?: Record<string, unknown>
}

/** What `open` gets besides the parameters: the outbound policy's HTTP client, for HTTP connectors. */
export interface OpenContext {
  /** The guarded fetch (every request resolved and checked by the network guard). */
  fetch: typeof fetch
}

/** A live handle on one connection's target: its pool, and what can be done through it. */
export interface ConnectionHandle {
  /** Connects and asks the server who it is; throws a `ConnectionProblem` with a precise code. */
  test(): Promise<TestDetails>
  introspect(): AsyncIterable<IntrospectionItem>
  /** A SQL kernel on its own connection (not from the pool: a session holds it for long). */
  /** `statementTimeoutMs`: a cell's statement still running after this long is cancelled (kernel default 5 min). */
  openKernel(options: { readOnly: boolean; statementTimeoutMs?: number }): Promise<SqlKernel>
  close(): Promise<void>
}

/**
 * A connection type is a plug-in: a parameter schema (with which fields are secret and which name a
 * host the SSRF guard must check), and a way to open a {@link ConnectionHandle}. PostgreSQL and MySQL
 * now; Odoo, OCR, Superset and n8n register the same way.
 */
export interface ConnectionType<P extends Record<string, unknown> = Record<string, unknown>> {
  id: string
  label: string
  params: z.ZodType<P, Record<string, unknown>>
  /** Write-only fields: encrypted at rest, never returned, shown as set/unset. */
  secretFields: readonly string[]
  /** Fields holding a host name or address: resolved once through the SSRF guard. */
  hostFields: readonly string[]
  /** Field shown as multi-line text (e.g. a CA certificate). */
  multilineFields?: readonly string[]
  open(params: P, hosts: Record<string, ResolvedHost>, pool: PoolOptions, context: OpenContext): ConnectionHandle
  /** Fields that decide where the secret goes, beyond host/port/user/database (e.g. Odoo's `url`, `login`). */
  targetFields?: readonly string[]
}
