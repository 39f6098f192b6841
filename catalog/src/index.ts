/**
 * The data catalog: discovery of sources into assets, search with facets, previews with PII masking,
 * classification, profiles, and lineage from SQL. Every function takes its dependencies (a
 * `Kysely<CatalogTables>`, a way to run SQL) as arguments; the workbench owns migrations, routes and wiring.
 */
export * from './assets.ts'
export * from './discovery/discover.ts'
export * from './discovery/duckdb-source.ts'
export * from './discovery/postgres-source.ts'
export * from './lineage/extract.ts'
export * from './lineage/graph.ts'
export * from './lineage/record.ts'
export * from './lineage/statements.ts'
export * from './preview/asset-columns.ts'
export * from './preview/classify.ts'
export * from './preview/detect.ts'
export * from './preview/masking.ts'
export * from './preview/preview.ts'
export * from './preview/profile.ts'
export * from './preview/result-masking.ts'
export * from './search/search.ts'
export * from './search/search-documents.ts'
export * from './search/search-indexes.ts'
export * from './types.ts'
