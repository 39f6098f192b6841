import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { OrchestratorClient } from '@workbench/orchestrator/client'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type JupyterService, startJupyter } from '../src/services/jupyter-server.ts'
import { startTemporal, type TemporalService } from '../src/services/temporal-server.ts'
import { createTestDatabase, type TestDatabase } from './support/databases.ts'
import { startTestWorkbench, type TestWorkbench } from './support/workbench.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const logger = pino({ level: 'silent' })

/**
 * Scale-out is configuration: PostgreSQL by DATABASE_URL, a remote Jupyter by JUPYTER_URL, a Temporal
 * cluster by TEMPORAL_ADDRESS, and workflows run by a separate `npm run worker` process.
 */
describe('scale-out configuration', () => {
  let dir: string
  let database: TestDatabase
  let jupyter: JupyterService
  let temporal: TemporalService
  let workbench: TestWorkbench
  let worker: ChildProcess
  let workerOutput = ''

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'workbench-scale-'))
    ;[database, jupyter, temporal] = await Promise.all([
      createTestDatabase('postgres'),
      startJupyter(
        {
          kind: 'embedded',
          venv: path.join(ROOT, '.venv'),
          rootDir: path.join(dir, 'files'),
          stateDir: path.join(dir, 'jupyter'),
        },
        logger,
      ),
      startTemporal(
        {
          server: {
            kind: 'embedded',
            cli: path.join(ROOT, '.tools/bin/temporal'),
            dbFile: path.join(dir, 'temporal.db'),
          },
          namespace: 'default',
          taskQueue: 'scale-out',
          inProcessWorker: false,
        },
        logger,
      ),
    ])
    const env = {
      DATABASE_URL: database.url ?? '',
      JUPYTER_URL: jupyter.endpoint.baseUrl,
      JUPYTER_TOKEN: jupyter.endpoint.token,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: 'scale-out',
      TEMPORAL_IN_PROCESS_WORKER: 'false',
      WORKER_TOKEN: 'scale-out-worker-token-0123456789abcdef',
    }
    workbench = await startTestWorkbench(env)
    worker = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workbench/src/worker-main.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'info',
        ...env,
        WORKBENCH_INTERNAL_URL: workbench.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    worker.stdout?.on('data', (d) => {
      workerOutput += d
    })
    worker.stderr?.on('data', (d) => {
      workerOutput += d
    })
  })

  afterAll(async () => {
    worker?.kill('SIGTERM')
    await workbench?.dispose()
    await Promise.all([temporal?.stop(), jupyter?.stop(), database?.dispose()])
    rmSync(dir, { recursive: true, force: true })
  })

  it('uses the external services instead of spawning its own, and reports them ready', async () => {
    expect(workbench.db.kind).toBe('postgres')
    expect(workbench.jupyter.process).toBeUndefined()
    expect(workbench.temporal.process).toBeUndefined()
    expect(workbench.worker).toBeUndefined()
    const res = await workbench.app.request('/api/readyz')
    expect(res.status).toBe(200)
  })

  it('runs workflows on a separate worker process', async () => {
    const client = new OrchestratorClient({
      connection: workbench.temporal.connection,
      namespace: 'default',
      taskQueue: 'scale-out',
    })
    const result = await client.runSmoke('scaled out')
    expect(result.message).toBe('scaled out')
    expect(result.worker).toBe(`worker@${os.hostname()}:${worker.pid}`)
    expect(workerOutput).toContain('worker polling')
  })
})
