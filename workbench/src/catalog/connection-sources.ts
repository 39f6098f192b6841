import type { DiscoverySource, RowsPage } from '@workbench/catalog'
import { type Output, type TableData, tableOf } from '@workbench/kernels'
import type { ConnectionService } from '../connections/connection-service.ts'
import type { ConnectionSources } from './catalog-service.ts'

/**
 * Catalog sources over workspace connections: introspection streams through the connection's pool, and previews and profiles run through a read-only SQL kernel on the connection, the
 * same path a notebook's SQL cell takes.
 */
export function connectionSources(connections: () => ConnectionService | undefined): ConnectionSources {
  return async (workspaceId, connectionId, { signal } = {}) => {
    const service = connections()
    if (!service) return undefined
    const connection = await service.get(workspaceId, connectionId)
    // Odoo models are read as DuckDB tables (odoo.<model>) once extracted.
    const dialect = connection.type === 'mysql' ? 'mysql' : connection.type === 'odoo' ? 'duckdb' : 'postgres'
    const source: DiscoverySource = {
      kind: connection.type,
      dialect,
      introspect: () => service.introspect(workspaceId, connectionId),
      runSql: async (sql, options = {}) => {
        if (signal?.aborted) throw new Error('the request was aborted')
        const kernel = await service.openKernel(workspaceId, connectionId)
        // The client left: the kernel cancels the running statement on the server (pg_cancel_backend, KILL QUERY).
        const interrupt = () => void kernel.interrupt().catch(() => {})
        signal?.addEventListener('abort', interrupt, { once: true })
        try {
          return await firstTable(kernel.execute(sql), options.limit)
        } finally {
          signal?.removeEventListener('abort', interrupt)
          await kernel.shutdown()
        }
      },
    }
    return source
  }
}

async function firstTable(outputs: AsyncIterable<Output>, limit?: number): Promise<RowsPage> {
  let table: TableData | undefined
  for await (const output of outputs) {
    if (output.output_type === 'error') throw new Error(`${output.ename}: ${output.evalue}`)
    table ??= tableOf(output)
  }
  if (!table) return { columns: [], rows: [] }
  return {
    columns: table.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: limit === undefined ? table.rows : table.rows.slice(0, limit),
  }
}
