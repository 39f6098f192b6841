export {
  DuckdbDatabase,
  type DuckdbDatabaseOptions,
  defaultDuckdbDatabaseOptions,
  type QueryPage,
  quoteIdentifier,
  quoteLiteral,
} from './database.ts'
export { DuckdbKernel } from './kernel.ts'
export { type DuckdbKernelOptions, defaultDuckdbKernelOptions } from './options.ts'
