/** Catalog package: discovery, search, preview, profiling and lineage (built by the catalog issue). */
export const CATALOG_PACKAGE = '@workbench/catalog'
