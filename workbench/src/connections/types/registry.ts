import type { ConnectionType } from './connection-type.ts'
import { mysqlType } from './mysql.ts'
import { odooType } from './odoo.ts'
import { postgresType } from './postgres.ts'

/**
 * Every connection type the workbench knows, by id. A new connector (Odoo, OCR, Superset, n8n) is one
 * more module implementing {@link ConnectionType}, added here.
 */
export const connectionTypes: ReadonlyMap<string, ConnectionType> = new Map(
  ([postgresType, mysqlType, odooType] as unknown as ConnectionType[]).map((t) => [t.id, t]),
)
