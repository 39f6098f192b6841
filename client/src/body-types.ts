import type { paths } from './generated/openapi.ts'

type Method = 'get' | 'put' | 'post' | 'patch' | 'delete'
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>

/**
 * The JSON body a route answers with `status` (default: its first 2xx), for shapes the document does not
 * name as a schema.
 *
 * @example
 * type Versions = ResponseBody<'/workspaces/{workspaceId}/pipelines/{pipelineId}/versions', 'get'>['items']
 */
export type ResponseBody<P extends keyof paths, M extends Method, S extends number = SuccessStatus<P, M>> =
  Operation<P, M> extends { responses: infer R }
    ? S extends keyof R
      ? R[S] extends { content: { 'application/json': infer B } }
        ? B
        : never
      : never
    : never

/** The JSON body a route accepts. */
export type RequestBody<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never

/** The query parameters a route accepts. */
export type QueryParams<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never

type SuccessStatus<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { responses: infer R } ? Extract<keyof R, 200 | 201 | 202> : never
