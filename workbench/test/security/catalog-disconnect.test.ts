import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { writeAllowedNetworks } from '../../src/connections/network-settings.ts'
import { eventually } from '../support/collab.ts'
import { runPostgresParams, runPostgresSql } from '../support/connections.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type LimitsStack, startLimitsStack } from './limits-stack.ts'

/**
 * Statements running on the connection's database (one of its own, so that other test files' statements on
 * the shared server are not counted), other than the one asking: the profile's `DECLARE … CURSOR` over the
 * view, then its `FETCH`.
 */
async function running(database: string): Promise<number> {
  const client = new pg.Client({ connectionString: inject('postgresUrl') })
  await client.connect()
  try {
    const res = await client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE state = 'active' AND pid <> pg_backend_pid() AND datname = $1`,
      [database],
    )
    return res.rows[0].n as number
  } finally {
    await client.end()
  }
}

/**
 * Build item 8 of issue 14: cancellation when the client disconnects. A catalog profile of an asset on a
 * PostgreSQL connection runs on that server; when the HTTP client leaves, the statement is cancelled there
 * (before, it ran on until the kernel statement timeout).
 */
describe.each(DATABASE_KINDS)('a catalog profile on a connection stops when its client leaves (%s)', (kind) => {
  let stack: LimitsStack
  let workspace: string
  let admin: { token: string }
  let editor: { token: string }
  const view = `wb_slow_profile_${kind}`
  const database = `wb_profile_disconnect_${kind}`

  beforeAll(async () => {
    // Long enough that, without cancellation, the statement is still running when the test looks.
    stack = await startLimitsStack(kind, { KERNEL_STATEMENT_TIMEOUT_MS: '30000' })
    await writeAllowedNetworks(stack.wb.db.db, ['127.0.0.0/8', '::1/128'])
    await runPostgresSql(`DROP DATABASE IF EXISTS ${database}`)
    await runPostgresSql(`CREATE DATABASE ${database}`)
    await runPostgresSql(
      `CREATE OR REPLACE VIEW public.${view} AS SELECT a * b AS x FROM generate_series(1, 100000) a, generate_series(1, 100000) b`,
      database,
    )
    workspace = await stack.members.workspace()
    admin = await stack.members.member(workspace, 'admin')
    editor = await stack.members.member(workspace, 'editor')
  })
  afterAll(async () => {
    await stack?.dispose()
    await runPostgresSql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  })

  it('the PostgreSQL statement is cancelled once the client aborts', async () => {
    const base = `/workspaces/${workspace}`
    const connection = await stack.api(admin.token, 'POST', `${base}/connections`, {
      name: 'Warehouse',
      type: 'postgres',
      params: runPostgresParams(database),
    })
    expect(connection.status, JSON.stringify(connection.body)).toBe(201)
    const source = await stack.api(admin.token, 'POST', `${base}/catalog/sources`, {
      name: 'warehouse',
      connectionId: connection.body.connection.id,
    })
    expect(source.status, JSON.stringify(source.body)).toBe(201)
    const started = await stack.api(admin.token, 'POST', `${base}/catalog/sources/${source.body.id}/discover`)
    expect(started.status).toBe(202)
    await eventually(async () => {
      const run = await stack.api(editor.token, 'GET', `${base}/catalog/runs/${started.body.runId}`)
      expect(run.body.status).toBe('succeeded')
    }, 60_000)
    const found = await stack.api(editor.token, 'GET', `${base}/catalog/search?q=${view}`)
    const asset = found.body.items.find((i: { name: string }) => i.name === view)
    expect(asset).toBeDefined()

    const controller = new AbortController()
    const profile = stack
      .api(editor.token, 'POST', `${base}/catalog/assets/${asset.id}/profile`, undefined, { signal: controller.signal })
      .catch((err: unknown) => ({ status: 0, body: String(err), ms: 0 }))
    let answered: { status: number; body: unknown } | undefined
    void profile.then((r) => {
      answered = r
    })
    await eventually(async () => expect([answered, await running(database)]).toEqual([undefined, 1]), 5000)
    controller.abort()
    expect((await profile).status).toBe(0)
    await eventually(async () => expect(await running(database)).toBe(0), 2000)
    // And it stays stopped (no further statement of the profile starts).
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(await running(database)).toBe(0)
  })
})
