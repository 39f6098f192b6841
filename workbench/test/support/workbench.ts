import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { type Config, loadConfig } from '../../src/config.ts'
import { type RunningWorkbench, startWorkbench } from '../../src/runtime.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')

export interface TestWorkbench extends RunningWorkbench {
  config: Config
  dataDir: string
  /** Stops the workbench and deletes its data folder (kept with `keepData`, to start again on it). */
  dispose(options?: { keepData?: boolean }): Promise<void>
}

/**
 * The whole workbench as `npm start` runs it (PGlite, spawned Jupyter and Temporal, in-process worker),
 * on a free port with a throwaway data folder. `env` overrides any variable.
 */
export async function startTestWorkbench(
  env: Record<string, string> = {},
  options: { dataDir?: string } = {},
): Promise<TestWorkbench> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'workbench-test-'))
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env }, ROOT)
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const running = await startWorkbench(config, logger).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true })
    throw err
  })
  return {
    ...running,
    config,
    dataDir,
    dispose: async ({ keepData = false } = {}) => {
      await running.stop()
      if (!keepData) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
