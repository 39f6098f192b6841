import type { RequestIdVariables } from 'hono/request-id'

/** Hono environment shared by every route: variables set by middleware. */
export interface AppEnv {
  Variables: RequestIdVariables
}
