import { ApplicationFailure } from '@temporalio/client'
import type { SqlRequest, SqlResult, SqlRunner } from '@workbench/orchestrator/activities'
import { DuckDbSqlRunner } from '@workbench/orchestrator/activities'
import type { WorkspaceDuckdb } from '../kernels/workspace-databases.ts'

/**
 * `sql` and `quality` steps of the workbench's pipelines: connection 'duckdb' is the run's workspace
 * database, the same one notebooks and imports use (opened once per process), with the runner's
 * exactly-once idempotency keys kept inside it.
 */
export class WorkspaceSqlRunner implements SqlRunner {
  readonly #runners = new Map<string, Promise<DuckDbSqlRunner>>()

  constructor(private readonly workspaceDuckdb: WorkspaceDuckdb) {}

  run(request: SqlRequest): Promise<SqlResult> {
    const workspaceId = request.workspaceId
    if (!workspaceId)
      throw ApplicationFailure.nonRetryable(
        'the step has no workspace (run it through the pipelines API)',
        'NoWorkspace',
      )
    if (request.connection !== 'duckdb')
      throw ApplicationFailure.nonRetryable(
        `pipeline steps on connection '${request.connection}' are not supported yet; use 'duckdb'`,
        'UnsupportedConnection',
      )
    let runner = this.#runners.get(workspaceId)
    if (!runner) {
      runner = this.workspaceDuckdb(workspaceId).then((database) => new DuckDbSqlRunner(database))
      runner.catch(() => this.#runners.delete(workspaceId))
      this.#runners.set(workspaceId, runner)
    }
    return runner.then((r) => r.run(request))
  }
}
