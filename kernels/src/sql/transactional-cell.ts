import { errorOutput, type Output, type TableData } from '../kernel.ts'
import { tableOutput } from '../table-output.ts'
import { type SqlStatement, splitStatements } from './split-statements.ts'

/** What a connection kernel (PostgreSQL, MySQL) supplies to run a cell's statements in one transaction. */
export interface TransactionalCellSteps {
  /** Statements the workbench manages (transaction control, timeouts); a cell containing one is refused. */
  managed: RegExp
  /** Why a managed statement is refused, as shown to the user. */
  managedMessage: string
  /** Opens the cell's transaction (read-only unless the connection is writable), with its timeout. */
  begin(): Promise<void>
  /** Runs before each statement after the first (e.g. to set the timeout again). */
  beforeStatement?(): Promise<void>
  /** Runs one statement; a result set comes back as its first page, anything else as undefined. */
  run(statement: SqlStatement): Promise<TableData | undefined>
  commit(): Promise<void>
  rollback(): Promise<void>
  /** True once the user interrupted this cell. */
  interrupted(): boolean
  /** Forgets a kept result (cursor, statement) of a cell that did not commit. */
  forget(resultId: string): void
  errorOutput(statement: SqlStatement, err: unknown): Output
}

/**
 * Runs `code` statement by statement in one transaction: results are shown only after COMMIT (a failed,
 * refused or interrupted cell shows its error and nothing else, and its kept results are forgotten). The last
 * result carries the execution count.
 */
export async function runTransactionalCell(
  code: string,
  steps: TransactionalCellSteps,
  emit: (output: Output) => void,
  executionCount: number | null | undefined,
): Promise<void> {
  const statements = splitStatements(code)
  try {
    await steps.begin()
  } catch (err) {
    emit(errorOutput('ConnectionError', err instanceof Error ? err.message : String(err)))
    return
  }
  const pending: { data: TableData; last: boolean }[] = []
  const forgetPending = () => {
    for (const { data } of pending) if (data.resultId) steps.forget(data.resultId)
  }
  const abandon = async (output: Output) => {
    await steps.rollback().catch(() => {})
    forgetPending()
    emit(output)
  }
  const interrupted = () => errorOutput('Interrupted', 'Interrupted by the user')
  for (const [i, statement] of statements.entries()) {
    if (steps.interrupted()) return abandon(interrupted())
    if (steps.managed.test(statement.text)) return abandon(errorOutput('PermissionError', steps.managedMessage))
    try {
      if (i > 0) await steps.beforeStatement?.()
      const data = await steps.run(statement)
      // A cancelled statement may return early without an error (MySQL's SLEEP): the flag says it was us.
      if (steps.interrupted()) {
        if (data?.resultId) steps.forget(data.resultId)
        return abandon(interrupted())
      }
      if (data) pending.push({ data, last: i === statements.length - 1 })
    } catch (err) {
      return abandon(steps.errorOutput(statement, err))
    }
  }
  try {
    await steps.commit()
  } catch (err) {
    return abandon(steps.errorOutput(statements.at(-1) ?? { text: '', line: 1, column: 1 }, err))
  }
  for (const { data, last } of pending) emit(tableOutput(data, last ? (executionCount ?? null) : undefined))
}
