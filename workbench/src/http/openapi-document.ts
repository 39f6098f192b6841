import pino from 'pino'
import { type App, createApp } from '../app.ts'
import { createIdentity } from '../auth/identity.ts'
import { loadConfig } from '../config.ts'

/** Never signs anything: the app built here only answers its own OpenAPI document. */
const UNUSED_SIGNING_KEY = 'openapi-document-only-0123456789-abcdefghijklmnop'

/**
 * The app's OpenAPI 3.1 document, built in-process without a database, a port or any child process: what
 * `npm run generate:client` turns into `@workbench/client`'s types.
 *
 * @example
 * const doc = await openApiDocument()
 * Object.keys(doc.paths) // ['/healthz', '/readyz', ...]
 */
export async function openApiDocument(): Promise<OpenApiDocument> {
  const res = await documentedApp().request('/api/openapi.json')
  if (!res.ok) throw new Error(`the app answered its OpenAPI document with HTTP ${res.status}`)
  return (await res.json()) as OpenApiDocument
}

/** The app with every route registered and no service behind any: enough to list routes and document them. */
export function documentedApp(): App {
  const logger = pino({ level: 'silent' })
  const config = loadConfig({ AUTH_JWT_SECRET: UNUSED_SIGNING_KEY }, process.cwd())
  const identity = createIdentity({
    db: () => undefined,
    options: { ...config.auth, jwtSecret: UNUSED_SIGNING_KEY },
    logger,
  })
  const ready = async () => {}
  return createApp({ logger, identity, readiness: { database: ready, duckdb: ready, jupyter: ready, temporal: ready } })
}

export interface OpenApiDocument {
  openapi: string
  paths: Record<string, Record<string, unknown>>
  components?: Record<string, unknown>
  [key: string]: unknown
}
