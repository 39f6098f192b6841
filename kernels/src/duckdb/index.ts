export {
  DuckdbDatabase,
  type DuckdbDatabaseOptions,
  defaultDuckdbDatabaseOptions,
  type QueryOptions,
  type QueryPage,
  QueryStoppedError,
  quoteIdentifier,
  quoteLiteral,
  StatementRefusedError,
} from './database.ts'
export { DuckdbKernel } from './kernel.ts'
export { type DuckdbKernelOptions, defaultDuckdbKernelOptions } from './options.ts'
export { OUTPUT_SETTINGS, refusedStatement } from './statement-guard.ts'
