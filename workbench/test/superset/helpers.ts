import { inject } from 'vitest'
import { NetworkGuard } from '../../src/connections/network-guard.ts'
import { guardedFetch } from '../../src/connections/outbound-http.ts'
import { SupersetClient } from '../../src/connections/types/superset/client.ts'
import type { SupersetServer } from '../support/superset-server.ts'

/** The guarded fetch the workbench uses, with loopback allowed (the test Superset listens there). */
export const loopbackFetch: typeof fetch = guardedFetch({
  guard: () => new NetworkGuard({ allowed: ['127.0.0.0/8'] }),
  maxBodyBytes: 16 * 1024 * 1024,
})

/** A client signed in as the test Superset's admin. */
export function supersetAdminClient(superset: SupersetServer): SupersetClient {
  return new SupersetClient({ baseUrl: superset.url, auth: superset.admin, fetch: loopbackFetch })
}

/** A Superset database entry pointing at `database` on the run's PostgreSQL (trust auth). */
export async function supersetDatabase(client: SupersetClient, name: string, database: string): Promise<number> {
  const url = new URL(inject('postgresUrl'))
  const res = await client.post<{ id: number }>('/api/v1/database/', {
    database_name: name,
    sqlalchemy_uri: `postgresql+psycopg2://${url.username}@${url.hostname}:${url.port}/${database}`,
    expose_in_sqllab: true,
  })
  return res.id
}

export async function supersetDashboard(client: SupersetClient, title: string): Promise<number> {
  return (await client.post<{ id: number }>('/api/v1/dashboard/', { dashboard_title: title, published: true })).id
}

/** A time-series chart on a dataset (its `x_axis` is the time column), shown on the given dashboards. */
export async function supersetChart(
  client: SupersetClient,
  name: string,
  datasetId: number,
  params: Record<string, unknown>,
  dashboards: number[],
): Promise<number> {
  const res = await client.post<{ id: number }>('/api/v1/chart/', {
    slice_name: name,
    viz_type: 'echarts_timeseries_line',
    datasource_id: datasetId,
    datasource_type: 'table',
    params: JSON.stringify({ metrics: ['count'], time_grain_sqla: 'P1D', ...params }),
    dashboards,
  })
  return res.id
}
