export * from './duckdb/index.ts'
