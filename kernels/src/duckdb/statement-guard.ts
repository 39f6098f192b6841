import { StatementType } from '@duckdb/node-api'

/**
 * Statement kinds user SQL may not run, on top of DuckDB's locked configuration: ATTACH is allowed by DuckDB
 * for files inside the allowed folder and for `:memory:`, and LOAD of built-in extensions always works.
 */
export const BLOCKED_STATEMENTS: ReadonlyMap<StatementType, string> = new Map([
  [StatementType.ATTACH, 'ATTACH is not allowed: a notebook works on its workspace database only'],
  [StatementType.DETACH, 'DETACH is not allowed: a notebook works on its workspace database only'],
  [StatementType.LOAD, 'INSTALL and LOAD are not allowed: extensions are managed by the workbench'],
  [StatementType.EXTENSION, 'INSTALL is not allowed: extensions are managed by the workbench'],
  [StatementType.UPDATE_EXTENSIONS, 'UPDATE EXTENSIONS is not allowed: extensions are managed by the workbench'],
  [StatementType.COPY_DATABASE, 'COPY FROM DATABASE is not allowed'],
])

/**
 * Settings that print to the server's stdout (query plans with their literals, progress bars) or write files.
 * `lock_configuration` refuses `SET` of them, but argument-less pragmas (`PRAGMA enable_profiling`,
 * `PRAGMA enable_progress_bar`) bypass the lock, so statements naming them are refused before they run.
 */
export const OUTPUT_SETTINGS =
  /\b(enable_profil\w*|profil\w*_output|profiling_mode|profile_output|\w*progress_bar\w*)\b/i

export const OUTPUT_SETTINGS_MESSAGE =
  'Profiling and progress-bar settings are not allowed: they write to the server log'

/** Why a statement of this kind and text may not run, or undefined when it may. */
export function refusedStatement(type: StatementType, text: string): string | undefined {
  const blocked = BLOCKED_STATEMENTS.get(type)
  if (blocked) return blocked
  if (type !== StatementType.SELECT && OUTPUT_SETTINGS.test(text)) return OUTPUT_SETTINGS_MESSAGE
  return undefined
}
