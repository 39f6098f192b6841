import { connect as netConnect } from 'node:net'
import { MysqlKernel } from '@workbench/kernels/mysql'
import mysql from 'mysql2/promise'
import { type IntrospectedColumn, pagedIntrospection, tableKey } from '../introspection.ts'
import type { ResolvedHost } from '../network-guard.ts'
import { ConnectionProblem, networkProblem } from '../problems.ts'
import type { ConnectionHandle, ConnectionType, PoolOptions } from './connection-type.ts'
import { type SqlParams, sqlParamsSchema, tlsOptions } from './sql-params.ts'

const params = sqlParamsSchema(3306)
const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys']

/** MySQL and MariaDB (mysql2): pools, precise errors, information_schema introspection, the MySQL kernel. */
export const mysqlType: ConnectionType<SqlParams> = {
  id: 'mysql',
  label: 'MySQL / MariaDB',
  params,
  secretFields: ['password'],
  hostFields: ['host'],
  multilineFields: ['caPem'],
  open: (p, hosts, pool) => new MysqlHandle(p, hosts.host as ResolvedHost, pool),
}

/**
 * mysql2 options that connect to the resolved address (through `stream`) while `host` stays the
 * name, so TLS verifies the certificate against the name and DNS is never asked again.
 */
export function mysqlOptions(p: SqlParams, host: ResolvedHost, timeoutMs: number): mysql.ConnectionOptions {
  const tls = tlsOptions(p, host.host)
  return {
    host: host.host,
    port: p.port,
    user: p.user,
    password: p.password ?? '',
    database: p.database,
    connectTimeout: timeoutMs,
    stream: () => netConnect({ host: host.address, port: p.port }),
    ...(tls
      ? {
          ssl: {
            rejectUnauthorized: tls.rejectUnauthorized,
            ...(tls.ca ? { ca: tls.ca as string } : {}),
            verifyIdentity: p.sslMode === 'verify-full',
          },
        }
      : {}),
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    multipleStatements: false,
  }
}

class MysqlHandle implements ConnectionHandle {
  private readonly options: mysql.ConnectionOptions
  private readonly pool: mysql.Pool
  private readonly target: string

  constructor(
    private readonly p: SqlParams,
    host: ResolvedHost,
    options: PoolOptions,
  ) {
    this.target = `${host.host}:${p.port}`
    this.options = mysqlOptions(p, host, options.timeoutMs)
    this.pool = mysql.createPool({
      ...this.options,
      connectionLimit: options.max,
      maxIdle: options.max,
      idleTimeout: options.idleTimeoutMs,
    })
  }

  private async checkout(): Promise<mysql.PoolConnection> {
    try {
      return await this.pool.getConnection()
    } catch (err) {
      throw mysqlProblem(err, this.target, this.p)
    }
  }

  async test(): Promise<{ serverVersion: string }> {
    const conn = await this.checkout()
    try {
      const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v')
      const v = String(rows[0]?.v ?? '')
      return { serverVersion: /mariadb/i.test(v) ? `MariaDB ${v}` : `MySQL ${v}` }
    } finally {
      conn.release()
    }
  }

  async *introspect() {
    const conn = await this.checkout()
    try {
      yield* pagedIntrospection(
        async (after, limit) => {
          const [rows] = await conn.query<mysql.RowDataPacket[]>(
            `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS name, TABLE_TYPE AS type,
                    TABLE_COMMENT AS comment, TABLE_ROWS AS \`rows\`
               FROM information_schema.TABLES
              WHERE TABLE_SCHEMA NOT IN (?)
                AND (? IS NULL OR (TABLE_SCHEMA, TABLE_NAME) > (?, ?))
              ORDER BY TABLE_SCHEMA, TABLE_NAME
              LIMIT ?`,
            [SYSTEM_SCHEMAS, after?.schema ?? null, after?.schema ?? null, after?.name ?? null, limit],
          )
          return rows as TableRow[]
        },
        async (tables) => {
          const [rows] = await conn.query<mysql.RowDataPacket[]>(
            `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS \`table\`, COLUMN_NAME AS name, COLUMN_TYPE AS type,
                    IS_NULLABLE AS nullable, COLUMN_COMMENT AS comment, ORDINAL_POSITION AS ordinal
               FROM information_schema.COLUMNS
              WHERE (TABLE_SCHEMA, TABLE_NAME) IN (?)
              ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
            [tables.map((t) => [t.schema, t.name])],
          )
          const columns = new Map<string, IntrospectedColumn[]>()
          for (const r of rows) {
            const key = tableKey({ schema: String(r.schema), name: String(r.table) })
            const list = columns.get(key) ?? []
            list.push({
              name: String(r.name),
              type: String(r.type),
              nullable: r.nullable === 'YES',
              comment: r.comment ? String(r.comment) : null,
              ordinal: Number(r.ordinal),
            })
            columns.set(key, list)
          }
          return columns
        },
        (t, columns) => ({
          schema: t.schema,
          name: t.name,
          kind: t.type === 'VIEW' ? 'view' : 'table',
          comment: t.comment ? t.comment : null,
          rowEstimate: t.type === 'VIEW' || t.rows === null ? null : Number(t.rows),
          columns,
        }),
      )
    } finally {
      conn.release()
    }
  }

  async openKernel(options: { readOnly: boolean; statementTimeoutMs?: number }) {
    const { readOnly, statementTimeoutMs } = options
    try {
      return await MysqlKernel.start({
        connection: this.options,
        readOnly,
        ...(statementTimeoutMs ? { statementTimeoutMs } : {}),
      })
    } catch (err) {
      throw mysqlProblem(err, this.target, this.p)
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {})
  }
}

interface TableRow {
  schema: string
  name: string
  type: string
  comment: string | null
  rows: string | number | null
}

/** Maps what mysql2 throws to a stable problem code. */
export function mysqlProblem(err: unknown, target: string, p: SqlParams): ConnectionProblem {
  if (err instanceof ConnectionProblem) return err
  const code = (err as { code?: string }).code
  const message = err instanceof Error ? err.message : String(err)
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR' || code === 'ER_NOT_SUPPORTED_AUTH_MODE')
    return new ConnectionProblem('authentication_failed', `${target} refused the user ${p.user}: ${message}`)
  if (code === 'ER_BAD_DB_ERROR')
    return new ConnectionProblem('database_not_found', `${target} has no database ${p.database}`)
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT')
    return new ConnectionProblem('tls_failed', `${target} does not accept TLS connections (TLS mode ${p.sslMode})`)
  if (code === 'ETIMEDOUT') return new ConnectionProblem('timeout', `${target} did not answer in time`)
  return networkProblem(err, target) ?? new ConnectionProblem('connection_failed', `${target}: ${message}`)
}
