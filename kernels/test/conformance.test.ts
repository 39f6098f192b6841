import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { DuckdbDatabase, DuckdbKernel, type Kernel, type KernelStatus } from '../src/index.ts'
import { JupyterKernel } from '../src/jupyter/index.ts'
import { MysqlKernel } from '../src/mysql/index.ts'
import { PostgresKernel } from '../src/postgres/index.ts'
import { startJupyterServer, type TestJupyterServer } from './support/jupyter-server.ts'
import { errorsOf, run, statusReached, textOf } from './support/outputs.ts'

/** What the suite needs to know about a backend's language; the assertions are the same for all. */
interface Backend {
  name: string
  start(): Promise<Kernel>
  /** Produces the visible text `42`. */
  answer: string
  /** Fails with a user error. */
  failing: string
  /** Runs until interrupted. */
  long: string
  /** Shows the text `n`. */
  show(n: number): string
  /** Sets session state ... */
  setState: string
  /** ... and reads it: output contains `state=yes` when set, `state=no` (or an error) after a restart. */
  readState: string
}

let jupyter: TestJupyterServer
let duckdb: DuckdbDatabase
let dataDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'kernels-conformance-'))
  duckdb = await DuckdbDatabase.open({ path: path.join(dataDir, 'workspace.duckdb'), dataDir })
  jupyter = await startJupyterServer()
})

afterAll(async () => {
  duckdb?.close()
  await jupyter?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

const backends: Backend[] = [
  {
    name: 'duckdb',
    start: () => DuckdbKernel.start({ database: duckdb }),
    answer: 'SELECT 42 AS answer',
    failing: 'SELECT * FROM no_such_table',
    long: 'SELECT sum(i % 7) FROM range(100000000000) t(i)',
    show: (n) => `SELECT ${n} AS n`,
    setState: 'CREATE TEMP TABLE state AS SELECT 1 AS x',
    readState: "SELECT CASE WHEN count(*) > 0 THEN 'state=yes' END AS s FROM state",
  },
  {
    name: 'postgres',
    start: () => PostgresKernel.start({ connection: { connectionString: inject('postgresUrl') } }),
    answer: 'SELECT 42 AS answer',
    failing: 'SELECT * FROM no_such_table',
    long: 'SELECT pg_sleep(600)',
    show: (n) => `SELECT ${n} AS n`,
    setState: "SET workbench.state = 'yes'",
    readState: "SELECT 'state=' || coalesce(nullif(current_setting('workbench.state', true), ''), 'no') AS s",
  },
  {
    name: 'mysql',
    start: () => MysqlKernel.start({ connection: { uri: inject('mariadbUrl') } }),
    answer: 'SELECT 42 AS answer',
    failing: 'SELECT * FROM no_such_table',
    long: 'SELECT SLEEP(600)',
    show: (n) => `SELECT ${n} AS n`,
    setState: "SET @state = 'yes'",
    readState: "SELECT CONCAT('state=', COALESCE(@state, 'no')) AS s",
  },
  {
    name: 'jupyter',
    start: () => JupyterKernel.start({ baseUrl: jupyter.baseUrl, token: jupyter.token }),
    answer: 'print(40 + 2)',
    failing: '1 / 0',
    long: 'import time\nwhile True: time.sleep(0.05)',
    show: (n) => `print(${n})`,
    setState: "state = 'yes'",
    readState: "print('state=' + globals().get('state', 'no'))",
  },
]

describe.each(backends)('kernel conformance: $name', (backend) => {
  let kernel: Kernel
  beforeAll(async () => {
    kernel = await backend.start()
  })
  afterAll(async () => {
    await kernel?.shutdown()
  })

  it('starts idle and streams the outputs of a cell', async () => {
    expect(kernel.status).toBe('idle')
    const outputs = await run(kernel, backend.answer)
    expect(errorsOf(outputs)).toEqual([])
    expect(textOf(outputs)).toContain('42')
  })

  it('reports errors as error outputs, and keeps working', async () => {
    const outputs = await run(kernel, backend.failing)
    const [error] = errorsOf(outputs)
    expect(error).toMatchObject({ output_type: 'error', ename: expect.any(String), evalue: expect.any(String) })
    expect(textOf(await run(kernel, backend.answer))).toContain('42')
  })

  it('goes busy while running and idle after', async () => {
    const seen: KernelStatus[] = []
    const off = kernel.onStatus((s) => seen.push(s))
    await run(kernel, backend.answer)
    off()
    expect(seen).toEqual(['busy', 'idle'])
  })

  it('interrupts a long statement with an error output; the next cell runs', async () => {
    const outputs = run(kernel, backend.long)
    await statusReached(kernel, 'busy')
    // Give the engine time to really be inside the statement, not just queued.
    await new Promise((resolve) => setTimeout(resolve, 500))
    await kernel.interrupt()
    const [error] = errorsOf(await outputs)
    expect(error?.ename).toMatch(/Interrupt/)
    expect(textOf(await run(kernel, backend.answer))).toContain('42')
  })

  it('runs concurrent executes one at a time, in call order', async () => {
    const runs = Array.from({ length: 20 }, (_, i) => run(kernel, backend.show(1000 + i)))
    const texts = (await Promise.all(runs)).map(textOf)
    expect(texts.map((text) => text.match(/10\d\d/)?.[0])).toEqual(runs.map((_, i) => String(1000 + i)))
    expect(kernel.status).toBe('idle')
  })

  it('restart drops session state and cancels queued cells', async () => {
    expect(errorsOf(await run(kernel, backend.setState))).toEqual([])
    expect(textOf(await run(kernel, backend.readState))).toContain('state=yes')
    const running = run(kernel, backend.long)
    const queued = run(kernel, backend.answer)
    await statusReached(kernel, 'busy')
    await new Promise((resolve) => setTimeout(resolve, 300))
    await kernel.restart()
    expect(errorsOf(await running)[0]?.ename).toMatch(/Interrupt|KernelDied|Cancelled/)
    expect(errorsOf(await queued)[0]?.ename).toBe('Cancelled')
    expect(kernel.status).toBe('idle')
    expect(textOf(await run(kernel, backend.readState))).not.toContain('state=yes')
    expect(textOf(await run(kernel, backend.answer))).toContain('42')
  })

  it('after shutdown, cells end with an error output and status is dead', async () => {
    const other = await backend.start()
    await other.shutdown()
    expect(other.status).toBe('dead')
    const [error] = errorsOf(await run(other, backend.answer))
    expect(error?.ename).toBe('KernelShutdown')
  })
})
