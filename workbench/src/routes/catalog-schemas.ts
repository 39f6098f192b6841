import { z } from '@hono/zod-openapi'

/** Request/response schemas of the catalog API (shared by the catalog route modules). */
export const ErrorBody = z
  .object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() })
  .openapi('CatalogError')
export const WorkspaceParam = z.object({ workspaceId: z.string().min(1).max(100) })
export const AssetParams = WorkspaceParam.extend({ assetId: z.string().min(1).max(100) })
export const SourceParams = WorkspaceParam.extend({ sourceId: z.string().min(1).max(100) })
export const RunParams = WorkspaceParam.extend({ runId: z.string().min(1).max(100) })

/** A query parameter that may be repeated (`?tag=a&tag=b`). */
export const Many = z.union([z.string().max(200), z.array(z.string().max(200)).max(50)]).optional()
export const many = (v: string | string[] | undefined): string[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v]

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})
export const body = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
})
export const errors = {
  400: json(ErrorBody, 'Invalid request'),
  404: json(ErrorBody, 'Not found'),
  503: json(ErrorBody, 'The catalog or the source is not available'),
}

export const SearchHit = z
  .object({
    id: z.string(),
    sourceId: z.string(),
    sourceName: z.string(),
    schema: z.string(),
    name: z.string(),
    kind: z.enum(['table', 'view']),
    description: z.string().nullable(),
    tags: z.array(z.string()),
    owners: z.array(z.string()),
    rowEstimate: z.number().nullable(),
    usageCount: z.number(),
    gone: z.boolean(),
  })
  .openapi('CatalogSearchHit')
const FacetCount = z.object({ value: z.string(), label: z.string(), count: z.number() })
export const SearchResult = z
  .object({
    items: z.array(SearchHit),
    total: z.number(),
    totalIsLowerBound: z.boolean(),
    facets: z.object({
      source: z.array(FacetCount),
      kind: z.array(FacetCount),
      schema: z.array(FacetCount),
      tag: z.array(FacetCount),
      owner: z.array(FacetCount),
    }),
  })
  .openapi('CatalogSearchResult')

export const Tag = z.string().trim().min(1).max(63)
export const TagChange = z.object({
  column: z.string().max(200).optional(),
  tag: Tag,
  status: z.enum(['accepted', 'proposed', 'rejected', 'removed']),
})
export const AssetEdit = z
  .object({
    description: z.string().max(10_000).nullable().optional(),
    owners: z.array(z.string().trim().min(1).max(200)).max(50).optional(),
    columns: z
      .array(z.object({ name: z.string().min(1).max(200), description: z.string().max(10_000).nullable() }))
      .max(2_000)
      .optional(),
  })
  .openapi('CatalogAssetEdit')
export const LineageIngest = z
  .object({
    sql: z.string().min(1).max(1_000_000),
    producer: z.object({
      kind: z.enum(['notebook', 'pipeline']),
      id: z.string().min(1).max(200),
      version: z.string().max(200).nullable().optional(),
    }),
  })
  .openapi('CatalogLineageIngest')

/** Bodies whose shape is documented in docs/catalog.md rather than repeated here. */
export const Described = (name: string) => z.unknown().openapi(name)
