import { PostgresKernel } from '@workbench/kernels/postgres'
import pg from 'pg'
import { type IntrospectedColumn, pagedIntrospection, tableKey } from '../introspection.ts'
import type { ResolvedHost } from '../network-guard.ts'
import { ConnectionProblem, networkProblem } from '../problems.ts'
import type { ConnectionHandle, ConnectionType, PoolOptions } from './connection-type.ts'
import { type SqlParams, sqlParamsSchema, tlsOptions } from './sql-params.ts'

const params = sqlParamsSchema(5432)

/** PostgreSQL (pg): pools, precise errors, introspection from the system catalogs, the PostgreSQL kernel. */
export const postgresType: ConnectionType<SqlParams> = {
  id: 'postgres',
  label: 'PostgreSQL',
  params,
  secretFields: ['password'],
  hostFields: ['host'],
  multilineFields: ['caPem'],
  open: (p, hosts, pool) => new PostgresHandle(p, hosts.host as ResolvedHost, pool),
}

class PostgresHandle implements ConnectionHandle {
  private readonly client: pg.ClientConfig
  private readonly pool: pg.Pool
  private readonly target: string

  constructor(
    private readonly p: SqlParams,
    host: ResolvedHost,
    options: PoolOptions,
  ) {
    this.target = `${host.host}:${p.port}`
    this.client = {
      host: host.address,
      port: p.port,
      user: p.user,
      password: p.password ?? '',
      database: p.database,
      ssl: tlsOptions(p, host.host),
      connectionTimeoutMillis: options.timeoutMs,
      application_name: 'workbench',
    }
    this.pool = new pg.Pool({ ...this.client, max: options.max, idleTimeoutMillis: options.idleTimeoutMs })
    // An idle client's network error must not crash the process; the next checkout reconnects.
    this.pool.on('error', () => {})
  }

  async test(): Promise<{ serverVersion: string }> {
    const client = await this.checkout()
    try {
      const res = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")
      return { serverVersion: `PostgreSQL ${res.rows[0]?.v ?? ''}`.trim() }
    } finally {
      client.release()
    }
  }

  private async checkout(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect()
    } catch (err) {
      throw postgresProblem(err, this.target, this.p)
    }
  }

  async *introspect() {
    const client = await this.checkout()
    try {
      yield* pagedIntrospection(
        async (after, limit) =>
          (
            await client.query<TableRow>(
              `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS relkind,
                      obj_description(c.oid, 'pg_class') AS comment,
                      CASE WHEN c.relkind IN ('r','p','m') AND c.reltuples >= 0 THEN c.reltuples::bigint END AS rows,
                      c.oid::int AS oid
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r','p','v','m','f')
                  AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_%'
                  AND has_schema_privilege(n.oid, 'USAGE')
                  AND ($1::text IS NULL OR (n.nspname, c.relname) > ($1::text COLLATE "C", $2::text COLLATE "C"))
                ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"
                LIMIT $3`,
              [after?.schema ?? null, after?.name ?? null, limit],
            )
          ).rows,
        async (tables) => {
          const res = await client.query<ColumnRow>(
            `SELECT a.attrelid::int AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
                    NOT a.attnotnull AS nullable, col_description(a.attrelid, a.attnum) AS comment, a.attnum AS ordinal
               FROM pg_attribute a
              WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attrelid, a.attnum`,
            [tables.map((t) => t.oid)],
          )
          const byOid = new Map<number, IntrospectedColumn[]>()
          for (const r of res.rows) {
            const list = byOid.get(r.oid) ?? []
            list.push({ name: r.name, type: r.type, nullable: r.nullable, comment: r.comment, ordinal: r.ordinal })
            byOid.set(r.oid, list)
          }
          return new Map(tables.map((t) => [tableKey(t), byOid.get(t.oid) ?? []]))
        },
        (t, columns) => ({
          schema: t.schema,
          name: t.name,
          kind: t.relkind === 'v' || t.relkind === 'm' ? 'view' : 'table',
          comment: t.comment,
          rowEstimate: t.rows === null ? null : Number(t.rows),
          columns,
        }),
      )
    } finally {
      client.release()
    }
  }

  async openKernel(options: { readOnly: boolean; statementTimeoutMs?: number }) {
    const { readOnly, statementTimeoutMs } = options
    try {
      return await PostgresKernel.start({
        connection: this.client,
        readOnly,
        ...(statementTimeoutMs ? { statementTimeoutMs } : {}),
      })
    } catch (err) {
      throw postgresProblem(err, this.target, this.p)
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {})
  }
}

interface TableRow {
  schema: string
  name: string
  relkind: string
  comment: string | null
  rows: string | null
  oid: number
}
interface ColumnRow {
  oid: number
  name: string
  type: string
  nullable: boolean
  comment: string | null
  ordinal: number
}

/** Maps what pg throws to a stable problem code. */
export function postgresProblem(err: unknown, target: string, p: SqlParams): ConnectionProblem {
  if (err instanceof ConnectionProblem) return err
  const code = (err as { code?: string }).code
  const message = err instanceof Error ? err.message : String(err)
  if (code === '28P01' || code === '28000' || /password|SASL|authentication/i.test(message))
    return new ConnectionProblem('authentication_failed', `${target} refused the user ${p.user}: ${message}`)
  if (code === '3D000') return new ConnectionProblem('database_not_found', `${target} has no database ${p.database}`)
  // Something that is not PostgreSQL answered the SSLRequest: nothing a database said (no port scan).
  if (/error establishing an SSL connection/i.test(message))
    return new ConnectionProblem('connection_failed', `${target} did not answer as PostgreSQL`)
  if (/does not support SSL/i.test(message))
    return new ConnectionProblem('tls_failed', `${target} does not accept TLS connections (TLS mode ${p.sslMode})`)
  if (/timeout|terminated unexpectedly/i.test(message) && !(err as NodeJS.ErrnoException).syscall)
    return new ConnectionProblem('timeout', `${target} did not answer in time`)
  return networkProblem(err, target) ?? new ConnectionProblem('connection_failed', `${target}: ${message}`)
}
