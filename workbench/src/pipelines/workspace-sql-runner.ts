import { ApplicationFailure } from '@temporalio/client'
import type { Output, SqlKernel, TableData } from '@workbench/kernels'
import { tableOf } from '@workbench/kernels'
import type { SqlRequest, SqlResult, SqlRunner } from '@workbench/orchestrator/activities'
import { DuckDbSqlRunner } from '@workbench/orchestrator/activities'
import type { WorkspaceDuckdb } from '../kernels/workspace-databases.ts'

/** A SQL kernel on a workspace connection named by id or name (read-only unless the connection is writable). */
export type OpenConnectionByName = (workspaceId: string, connection: string) => Promise<SqlKernel>

/**
 * `sql` and `quality` steps of the workbench's pipelines. Connection 'duckdb' is the run's workspace
 * database, the same one notebooks and imports use (opened once per process), with the runner's
 * exactly-once idempotency keys kept inside it. Any other connection runs through a SQL kernel on that
 * workspace connection, as a notebook's SQL cell does: read-only unless an admin made it writable, so
 * there is no write whose repetition a key would have to guard.
 */
export class WorkspaceSqlRunner implements SqlRunner {
  readonly #runners = new Map<string, Promise<DuckDbSqlRunner>>()

  constructor(
    private readonly workspaceDuckdb: WorkspaceDuckdb,
    private readonly openConnection?: OpenConnectionByName,
  ) {}

  async run(request: SqlRequest): Promise<SqlResult> {
    const workspaceId = request.workspaceId
    if (!workspaceId)
      throw ApplicationFailure.nonRetryable(
        'the step has no workspace (run it through the pipelines API)',
        'NoWorkspace',
      )
    if (request.connection !== 'duckdb') return this.#onConnection(workspaceId, request)
    let runner = this.#runners.get(workspaceId)
    if (!runner) {
      runner = this.workspaceDuckdb(workspaceId).then((database) => new DuckDbSqlRunner(database))
      runner.catch(() => this.#runners.delete(workspaceId))
      this.#runners.set(workspaceId, runner)
    }
    return (await runner).run(request)
  }

  async #onConnection(workspaceId: string, request: SqlRequest): Promise<SqlResult> {
    if (!this.openConnection)
      throw ApplicationFailure.nonRetryable('connections are not available to this worker', 'UnsupportedConnection')
    if (request.parameters && Object.keys(request.parameters).length > 0)
      throw ApplicationFailure.nonRetryable(
        `bound parameters are only supported on 'duckdb'; use {{ params.x }} templates on '${request.connection}'`,
        'ParametersUnsupported',
      )
    const kernel = await this.openConnection(workspaceId, request.connection).catch((err: unknown) => {
      const status = (err as { status?: number }).status
      if (status !== undefined && status < 500)
        throw ApplicationFailure.nonRetryable((err as Error).message, 'UnknownConnection')
      throw err
    })
    const onAbort = () => void kernel.interrupt()
    request.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      return await lastTable(kernel.execute(request.sql), request.maxRows ?? 100)
    } finally {
      request.signal?.removeEventListener('abort', onAbort)
      await kernel.shutdown()
    }
  }
}

/** The cell's last result as a step output; an error output fails the step without retrying (same SQL, same error). */
async function lastTable(outputs: AsyncIterable<Output>, maxRows: number): Promise<SqlResult> {
  let table: TableData | undefined
  for await (const output of outputs) {
    if (output.output_type === 'error')
      throw ApplicationFailure.nonRetryable(`${output.ename}: ${output.evalue}`, 'SqlError')
    table = tableOf(output) ?? table
  }
  if (!table) return { columns: [], rows: [], rowCount: 0, truncated: false }
  const names = table.columns.map((c) => c.name)
  const rows = table.rows.slice(0, maxRows).map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]])))
  return { columns: names, rows, rowCount: rows.length, truncated: table.totalRows > rows.length }
}
