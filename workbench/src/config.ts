import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { z } from 'zod'

/**
 * Everything the workbench reads from the environment, parsed once at the entrypoint.
 * Packages never read `process.env`; they receive the pieces of this object they need.
 */
const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url().optional())
  .optional()

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DATA_DIR: z.string().min(1).default('./.workbench'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  DATABASE_URL: optionalUrl,
  JUPYTER_URL: optionalUrl,
  JUPYTER_TOKEN: z.string().optional(),
  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('workbench'),
  /** `false` when separate `npm run worker` processes poll the task queue instead. */
  TEMPORAL_IN_PROCESS_WORKER: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  PYTHON_VENV: z.string().min(1).default('./.venv'),
  TEMPORAL_CLI: z.string().min(1).default('./.tools/bin/temporal'),
  WEB_DIST: z.string().min(1).default('./web/dist'),
  /** DuckDB memory limit of each workspace database, e.g. `2GB`, `512MB`. */
  DUCKDB_MEMORY_LIMIT: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'must be a size like 2GB or 512MB')
    .default('2GB'),
  KERNEL_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(1).default(300_000),
  /** Notebook sessions idle this long are shut down; 0 keeps them forever. */
  KERNEL_IDLE_CULL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** Output one cell may produce before it is truncated with a notice. */
  KERNEL_OUTPUT_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(2 * 1024 * 1024),
})

export type Env = z.input<typeof envSchema>

export interface Config {
  env: 'development' | 'production' | 'test'
  host: string
  port: number
  dataDir: string
  logLevel: string
  database: { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string }
  jupyter:
    | { kind: 'embedded'; venv: string; rootDir: string; stateDir: string }
    | { kind: 'external'; url: string; token: string }
  temporal: {
    server: { kind: 'embedded'; cli: string; dbFile: string } | { kind: 'external'; address: string }
    namespace: string
    taskQueue: string
    inProcessWorker: boolean
  }
  webDist: string
  kernels: {
    duckdbMemoryLimit: string
    statementTimeoutMs: number
    idleCullMs: number
    maxCellOutputBytes: number
    pageSize: number
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/**
 * Parses the environment into a {@link Config}; throws one {@link ConfigError} listing every bad variable.
 *
 * @example
 * const config = loadConfig(process.env, process.cwd())
 */
export function loadConfig(env: Record<string, string | undefined>, cwd: string): Config {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`)
    throw new ConfigError(problems)
  }
  const e = parsed.data
  const problems: string[] = []
  if (e.JUPYTER_URL && !e.JUPYTER_TOKEN) problems.push('JUPYTER_TOKEN: required when JUPYTER_URL is set')
  if (problems.length > 0) throw new ConfigError(problems)

  const abs = (p: string) => path.resolve(cwd, p)
  const dataDir = abs(e.DATA_DIR)
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    dataDir,
    logLevel: e.LOG_LEVEL,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'pglite', dataDir: path.join(dataDir, 'metadata') },
    jupyter: e.JUPYTER_URL
      ? { kind: 'external', url: e.JUPYTER_URL, token: e.JUPYTER_TOKEN ?? '' }
      : {
          kind: 'embedded',
          venv: abs(e.PYTHON_VENV),
          rootDir: path.join(dataDir, 'jupyter', 'files'),
          stateDir: path.join(dataDir, 'jupyter'),
        },
    temporal: {
      server: e.TEMPORAL_ADDRESS
        ? { kind: 'external', address: e.TEMPORAL_ADDRESS }
        : { kind: 'embedded', cli: abs(e.TEMPORAL_CLI), dbFile: path.join(dataDir, 'temporal.db') },
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      inProcessWorker: e.TEMPORAL_IN_PROCESS_WORKER,
    },
    webDist: abs(e.WEB_DIST),
    kernels: {
      duckdbMemoryLimit: e.DUCKDB_MEMORY_LIMIT,
      statementTimeoutMs: e.KERNEL_STATEMENT_TIMEOUT_MS,
      idleCullMs: e.KERNEL_IDLE_CULL_MS,
      maxCellOutputBytes: e.KERNEL_OUTPUT_LIMIT_BYTES,
      pageSize: 1_000,
    },
  }
}

/** A random secret for a child process we spawn ourselves (e.g. the embedded Jupyter token). */
export function randomToken(): string {
  return randomBytes(24).toString('hex')
}
