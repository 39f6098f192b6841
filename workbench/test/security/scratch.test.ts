import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type LimitsStack, loneAccount, startLimitsStack } from './limits-stack.ts'

/**
 * Finding 5 of issue 14: `/api/sql/scratch` was one DuckDB for every account. Now each account has its own,
 * memory-limited, with a cap on how many are open; and profiling pragmas, which bypass the locked configuration
 * and print query text to the server's stdout, are refused.
 */
describe.each(DATABASE_KINDS)('scratch SQL per account on %s', (kind) => {
  let stack: LimitsStack
  let alice: { userId: string; token: string }
  let bob: { userId: string; token: string }
  const scratch = (token: string, sql: string) => stack.api(token, 'POST', '/sql/scratch', { sql })

  beforeAll(async () => {
    stack = await startLimitsStack(kind, { SCRATCH_MEMORY_LIMIT: '64MB', SCRATCH_MAX_DATABASES: '3' })
    // Accounts in no workspace: scratch is open to every signed-in account.
    alice = await loneAccount(stack)
    bob = await loneAccount(stack)
  })
  afterAll(async () => {
    await stack?.dispose()
  })

  it("one account can neither read, list nor drop another account's scratch tables", async () => {
    expect((await scratch(alice.token, "CREATE TABLE secrets AS SELECT 'alice-only' AS s")).status).toBe(200)
    const read = await scratch(bob.token, 'SELECT * FROM secrets')
    expect(read.status).toBe(400)
    expect(read.body.code).toBe('sql_error')
    expect(JSON.stringify(read.body)).not.toContain('alice-only')
    const listed = await scratch(bob.token, 'SELECT table_name FROM duckdb_tables()')
    expect(listed.status).toBe(200)
    expect(listed.body.rows).toEqual([])
    expect((await scratch(bob.token, 'DROP TABLE secrets')).status).toBe(400)
    // Bob's own table of the same name is his, and Alice's is untouched.
    expect((await scratch(bob.token, "CREATE TABLE secrets AS SELECT 'bob' AS s")).status).toBe(200)
    expect((await scratch(alice.token, 'SELECT s FROM secrets')).body.rows).toEqual([['alice-only']])
    expect((await scratch(bob.token, 'SELECT s FROM secrets')).body.rows).toEqual([['bob']])
  })

  it('an account cannot hold more than its memory limit (nothing spills to disk)', async () => {
    const big = await scratch(
      alice.token,
      "CREATE TABLE big AS SELECT range AS r, repeat('x', 1000) AS s FROM range(300000)",
    )
    expect(big.status).toBe(400)
    expect(big.body.message).toMatch(/Out of Memory/)
    const settings = await scratch(
      alice.token,
      "SELECT current_setting('memory_limit'), current_setting('temp_directory'), current_setting('threads')",
    )
    expect(settings.body.rows[0]).toEqual([expect.stringMatching(/^6\d\.\d MiB$/), '', '1'])
    // Nor raise it, nor re-enable file access: the configuration is locked as before.
    expect((await scratch(alice.token, "SET memory_limit = '10GB'")).body.message).toMatch(/locked/)
    expect((await scratch(alice.token, "SELECT * FROM read_csv('/etc/passwd')")).status).toBe(400)
  })

  it('at most SCRATCH_MAX_DATABASES are open: the least recently used idle one is dropped', async () => {
    const others = [await loneAccount(stack), await loneAccount(stack), await loneAccount(stack)]
    expect((await scratch(alice.token, 'SELECT 1')).status).toBe(200)
    for (const other of others) expect((await scratch(other.token, 'CREATE TABLE t AS SELECT 1 AS x')).status).toBe(200)
    // Bob's database went first (least recently used), then Alice's; the three newer ones are kept.
    expect((await scratch(alice.token, 'SELECT * FROM secrets')).body.code).toBe('sql_error')
    for (const other of others.slice(1))
      expect((await scratch(other.token, 'SELECT x FROM t')).body.rows).toEqual([[1]])
  })

  it('profiling and progress-bar pragmas, which print query text to the server log, are refused', async () => {
    for (const sql of [
      "PRAGMA enable_profiling; SELECT 'marker-0451' AS secret",
      'PRAGMA enable_profile',
      'PRAGMA enable_progress_bar',
      'pragma /* hidden */ ENABLE_PROFILING',
      "SET enable_profiling = 'query_tree'",
      "PRAGMA profiling_output = '/tmp/leak.txt'",
    ]) {
      const res = await scratch(alice.token, sql)
      expect(res.status, sql).toBe(400)
      expect(res.body.message, sql).toMatch(/not allowed|locked/)
    }
    const refused = await scratch(alice.token, "PRAGMA enable_profiling; SELECT 'marker-0451' AS secret")
    expect(refused.body.code).toBe('statement_refused')
    // Harmless pragmas and queries naming the words still work.
    expect((await scratch(alice.token, "SELECT 'enable_profiling' AS word")).body.rows).toEqual([['enable_profiling']])
    expect((await scratch(alice.token, 'PRAGMA version')).status).toBe(200)
  })

  it('the same pragmas are refused in a workspace SQL cell', async () => {
    const workspace = await stack.members.workspace()
    const editor = await stack.members.member(workspace, 'editor')
    const notebook = await stack.api(editor.token, 'POST', `/workspaces/${workspace}/notebooks`, { name: 'p' })
    const session = await stack.api(editor.token, 'POST', `/workspaces/${workspace}/kernels/sessions`, {
      notebookId: notebook.body.id,
    })
    expect(session.status).toBe(201)
    for (const code of ['PRAGMA enable_profiling', 'PRAGMA enable_progress_bar']) {
      const run = await stack.api(
        editor.token,
        'POST',
        `/workspaces/${workspace}/kernels/sessions/${session.body.id}/execute`,
        { language: 'sql', code },
      )
      expect(run.body.outputs[0], code).toMatchObject({ output_type: 'error', ename: 'PermissionError' })
    }
  })
})
