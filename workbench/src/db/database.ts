import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { Config } from '../config.ts'
import { privateDirSync } from '../services/private-files.ts'
import { StartupError } from '../services/startup-error.ts'
import type { Database } from './schema.ts'

export type DatabaseConfig = Config['database']

export interface MetadataDb {
  db: Kysely<Database>
  kind: DatabaseConfig['kind']
  /** A cheap round trip for readiness probes. */
  ping(): Promise<void>
  close(): Promise<void>
}

/**
 * Opens the metadata database: a PGlite file in embedded mode, or PostgreSQL through a `pg` pool.
 * An unreachable `DATABASE_URL` is a {@link StartupError} after `connectTimeoutMs`, never a hang.
 */
export async function openDatabase(
  config: DatabaseConfig,
  options: { connectTimeoutMs?: number } = {},
): Promise<MetadataDb> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000
  let db: Kysely<Database>
  if (config.kind === 'pglite') {
    // The metadata DB holds password hashes and sealed secrets: readable by the server's uid only.
    if (config.dataDir !== 'memory://') privateDirSync(config.dataDir)
    // Migration 0011 creates pg_trgm (catalog search now computes trigrams itself); PostgreSQL bundles it, PGlite loads it here.
    const pglite = await PGlite.create(config.dataDir === 'memory://' ? undefined : config.dataDir, {
      extensions: { pg_trgm },
    })
    db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) })
  } else {
    const pool = new pg.Pool({ connectionString: config.url, connectionTimeoutMillis: connectTimeoutMs, max: 10 })
    // An idle client losing its server must not crash the process; the pool replaces it.
    pool.on('error', () => {})
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  }
  const ping = async () => {
    await sql`select 1`.execute(db)
  }
  try {
    await ping()
  } catch (err) {
    await db.destroy().catch(() => {})
    const reason = err instanceof Error ? err.message : String(err)
    const where = config.kind === 'postgres' ? `DATABASE_URL ${redactUrl(config.url)}` : `PGlite at ${config.dataDir}`
    throw new StartupError(`cannot open the metadata database (${where}): ${reason}`)
  }
  return { db, kind: config.kind, ping, close: () => db.destroy() }
}

/** Hides the password of a connection URL so it can appear in logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparseable URL)'
  }
}
