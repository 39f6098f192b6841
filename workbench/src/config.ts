import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { z } from 'zod'
import { passwordProblem } from './auth/password-policy.ts'

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
  /**
   * Shared secret between the API server and separate `npm run worker` processes: the API serves its
   * internal step endpoint (workspace DuckDB, kernels, connections) only when set. At least 32 characters.
   */
  WORKER_TOKEN: z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)').optional())
    .optional(),
  /** `npm run worker` only: the API server's URL on the internal network (e.g. http://workbench:8080). */
  WORKBENCH_INTERNAL_URL: optionalUrl,
  PYTHON_VENV: z.string().min(1).default('./.venv'),
  TEMPORAL_CLI: z.string().min(1).default('./.tools/bin/temporal'),
  WEB_DIST: z.string().min(1).default('./web/dist'),
  /** Most cells an imported .ipynb may have (more answer 413 `ipynb_too_many_cells`). */
  NOTEBOOK_MAX_IMPORT_CELLS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Largest .ipynb accepted for import. */
  NOTEBOOK_MAX_IMPORT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(50 * 1024 * 1024),
  /** Largest data file accepted for upload (bytes); refused when declared and while streaming. */
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024 * 1024),
  /** Unfinished uploads untouched for this long are deleted with their partial bytes. */
  UPLOAD_STALE_AFTER_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(24 * 60),
  /** How long a notebook's live document stays in memory after its last collaborator left. */
  COLLAB_UNLOAD_DELAY_MS: z.coerce.number().int().min(0).default(30_000),
  /** Quiet period after the last edit of a document before an automatic version is taken. */
  NOTEBOOK_VERSION_IDLE_MS: z.coerce.number().int().min(1000).default(300_000),
  /** Automatic versions (idle, pre-compile, pre-restore) kept per notebook: the newest ones. */
  NOTEBOOK_VERSIONS_KEEP_AUTO: z.coerce.number().int().min(1).default(50),
  /** Named versions allowed per notebook. */
  NOTEBOOK_VERSIONS_MAX_NAMED: z.coerce.number().int().min(1).default(100),
  /** HS256 key for access tokens; when unset, a random key is generated once and kept in DATA_DIR. */
  AUTH_JWT_SECRET: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  AUTH_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  AUTH_REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  AUTH_REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),
  ADMIN_EMAIL: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.email().optional()),
  ADMIN_PASSWORD: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(
      z
        .string()
        .superRefine((value, ctx) => {
          const problem = passwordProblem(value)
          if (problem) ctx.addIssue({ code: 'custom', message: problem })
        })
        .optional(),
    ),
  REGISTRATION: z.enum(['open', 'invite-only']).default('open'),
  /** Origin users reach the app at, for links in invitations; defaults to the request's origin. */
  PUBLIC_URL: optionalUrl,
  /** Comma-separated origins allowed to call the API from another origin (CORS); empty: none. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
    )
    .pipe(z.array(z.url())),
  /** `true` behind a reverse proxy: trust X-Forwarded-For / X-Forwarded-Proto for client IP and TLS. */
  TRUST_PROXY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  LOGIN_MAX_ATTEMPTS_PER_IP: z.coerce.number().int().min(1).default(30),
  LOGIN_FREE_ATTEMPTS_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
  /** smtp:// or smtps:// URL (credentials inside); unset: invitation links are only returned by the API. */
  SMTP_URL: optionalUrl,
  SMTP_FROM: z.string().default('Workbench <workbench@localhost>'),
  /** DuckDB memory limit of each workspace database, e.g. `2GB`, `512MB`. */
  DUCKDB_MEMORY_LIMIT: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'must be a size like 2GB or 512MB')
    .default('2GB'),
  KERNEL_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(1).default(300_000),
  /** Notebook sessions idle this long are shut down; 0 keeps them forever. */
  KERNEL_IDLE_CULL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** Receipt OCR: the default engine (`tesseract`, `http`) or `off` (documents upload, reading refused). */
  OCR_ENGINE: z.enum(['tesseract', 'http', 'off']).default('tesseract'),
  /** The HTTP OCR engine's endpoint (docs/receipts.md); unset: no `http` engine. Reached through the outbound policy. */
  OCR_HTTP_URL: optionalUrl,
  OCR_HTTP_TOKEN: z.string().optional(),
  OCR_LANGUAGES: z
    .string()
    .regex(/^[a-z_]{3,10}(\+[a-z_]{3,10})*$/)
    .default('eng+fra'),
  /** Receipt language assumed when a receipt does not tell (day/month order, currency). */
  RECEIPT_DEFAULT_LOCALE: z.enum(['fr', 'en-GB', 'en-US']).default('fr'),
  DOCUMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(20 * 1024 * 1024),
  DOCUMENT_MAX_PAGES: z.coerce.number().int().min(1).default(20),
  DOCUMENT_MAX_PIXELS: z.coerce.number().int().min(10_000).default(40_000_000),
  /** `bwrap`: tesseract and poppler run sandboxed without network; `off`: directly (still time/memory bounded). */
  DOCUMENT_SANDBOX: z.enum(['bwrap', 'off']).default('bwrap'),
  /** `bwrap`: every embedded-Jupyter kernel runs in a bubblewrap sandbox of its workspace; `off`: unsandboxed (warned). */
  KERNEL_SANDBOX: z.enum(['bwrap', 'off']).default('bwrap'),
  /** Sandboxed kernels: address space of a kernel process, processes+threads of a workspace, CPU seconds (0: none). */
  KERNEL_MEMORY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(8 * 1024 ** 3),
  KERNEL_MAX_PROCESSES: z.coerce.number().int().min(0).default(512),
  KERNEL_CPU_SECONDS: z.coerce.number().int().min(0).default(0),
  /** Sandboxed kernels do not start while their workspace folder holds more than this (0: no quota). */
  KERNEL_WORKSPACE_QUOTA_BYTES: z.coerce.number().int().min(0).default(0),
  /** How often the folders of workspaces with open sessions are measured against that quota. */
  KERNEL_QUOTA_CHECK_MS: z.coerce.number().int().min(100).default(10_000),
  /** Output one cell may produce before it is truncated with a notice. */
  KERNEL_OUTPUT_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(2 * 1024 * 1024),
  /** Statement timeout of SQL the server runs outside notebook cells: scratch, catalog preview, profile, discovery. */
  SQL_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  /** Memory limit of each account's scratch DuckDB (`/api/sql/scratch`). */
  SCRATCH_MEMORY_LIMIT: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'must be a size like 2GB or 512MB')
    .default('256MB'),
  /** Scratch databases open at once across accounts; the least recently used idle one is dropped past it. */
  SCRATCH_MAX_DATABASES: z.coerce.number().int().min(1).max(10_000).default(16),
  /** A scratch database unused this long is dropped with its tables. */
  SCRATCH_IDLE_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(15 * 60_000),
  /** Scratch queries one account may run at once (more answer 429). */
  SQL_CONCURRENCY_PER_USER: z.coerce.number().int().min(1).max(100).default(2),
  /** Scratch queries running at once across accounts (more answer 429). */
  SQL_MAX_RUNNING: z.coerce.number().int().min(1).max(1000).default(3),
  /** Largest JSON (or other non-upload) request body, in bytes; larger ones answer 413 `body_too_large`. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** Base64 of 32 random bytes; wraps every workspace's data key (connection secrets). */
  MASTER_KEY: z
    .string()
    .optional()
    .transform((v) => (v?.trim() === '' ? undefined : v?.trim())),
  /** `true`: refuse to start without MASTER_KEY (the default in production). */
  MASTER_KEY_REQUIRED: z.enum(['true', 'false']).optional(),
  CONNECTION_TEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  CONNECTION_POOL_MAX: z.coerce.number().int().min(1).max(100).default(5),
  CONNECTION_POOL_IDLE_MS: z.coerce.number().int().min(1000).default(30_000),
  /** Minutes between automatic catalog discoveries of every source; 0 turns it off. */
  CATALOG_DISCOVERY_INTERVAL_MINUTES: z.coerce.number().min(0).max(10_080).default(60),
  /** The assistant's OpenAI-compatible server (e.g. https://api.example.com/v1); unset: the assistant is off. */
  AI_BASE_URL: optionalUrl,
  AI_MODEL: z.string().min(1).default('default'),
  AI_API_KEY: z.string().optional(),
  AI_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  AI_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  /** Attempts at fixing a generated query after a parse/bind/runtime error. */
  AI_MAX_CORRECTIONS: z.coerce.number().int().min(0).max(5).default(2),
  /** JSON `{"model": {"input": dollarsPerMTok, "output": dollarsPerMTok}}`; `*` for any other model. */
  AI_PRICES: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return priceTable.parse(JSON.parse(text))
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON like {"model": {"input": 0.15, "output": 0.6}}' })
        return z.NEVER
      }
    }),
  /** `on`: with no AI_BASE_URL, start the bootstrap's llama-server and small model as a supervised child. */
  AI_EMBEDDED_MODEL: z.enum(['on', 'off']).default('off'),
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
    | { kind: 'embedded'; venv: string; rootDir: string; stateDir: string; sandbox?: KernelSandboxConfig }
    | { kind: 'external'; url: string; token: string }
  temporal: {
    server: { kind: 'embedded'; cli: string; dbFile: string } | { kind: 'external'; address: string }
    namespace: string
    taskQueue: string
    inProcessWorker: boolean
    /** Separate workers delegate steps needing the API's resources (see `remote-steps.ts`). */
    workerApi?: { token?: string; url?: string }
  }
  webDist: string
  files: { maxUploadBytes: number; staleAfterMs: number }
  documents: {
    engine: 'tesseract' | 'http' | 'off'
    http?: { url: string; token?: string }
    languages: string[]
    defaultLocale: 'fr' | 'en-GB' | 'en-US'
    maxBytes: number
    maxPages: number
    maxPixels: number
    sandbox: 'bwrap' | 'off'
  }
  catalog: { discoveryIntervalMs: number }
  notebooks: {
    maxImportBytes: number
    maxImportCells: number
    unloadDelayMs: number
    versions?: { idleMs: number; keepAutomatic: number; maxNamed: number }
  }
  auth: AuthConfig
  kernels: {
    duckdbMemoryLimit: string
    statementTimeoutMs: number
    idleCullMs: number
    /** How often the disk quota of workspaces with open sessions is checked. */
    quotaCheckMs: number
    maxCellOutputBytes: number
    pageSize: number
  }
  connections: ConnectionsConfig
  sql: {
    statementTimeoutMs: number
    scratch: {
      memoryLimit: string
      maxDatabases: number
      idleMs: number
      concurrencyPerUser: number
      maxRunning: number
    }
  }
  http: { maxBodyBytes: number }
  assistant: AssistantConfig
}

export interface AssistantConfig {
  /** Undefined: no instance-wide model (a workspace may still configure its own). */
  baseUrl: string | undefined
  model: string
  apiKey: string | undefined
  timeoutMs: number
  maxRetries: number
  maxCorrections: number
  prices: Record<string, { input: number; output: number }>
  embeddedModel: boolean
}

const priceTable = z.record(z.string(), z.object({ input: z.number().min(0), output: z.number().min(0) }))

/** How the embedded Jupyter Server confines kernels (see python/workbench_jupyter/sandbox.py). */
export type KernelSandboxConfig =
  | { kind: 'off' }
  | { kind: 'bwrap'; memoryBytes: number; maxProcesses: number; cpuSeconds: number; diskQuotaBytes: number }

export interface ConnectionsConfig {
  /** Undefined: embedded mode generates one into `dataDir` (never in production, see `masterKeyRequired`). */
  masterKey: string | undefined
  masterKeyRequired: boolean
  testTimeoutMs: number
  pool: { max: number; idleTimeoutMs: number }
}

export interface AuthConfig {
  /** Undefined: the runtime generates one and keeps it in `dataDir`. */
  jwtSecret: string | undefined
  accessTokenTtlSeconds: number
  refreshTokenTtlDays: number
  /** A just-rotated refresh token may be exchanged again this long (concurrent refreshes), in seconds. */
  refreshReuseGraceSeconds: number
  admin: { email: string; password: string } | undefined
  registration: 'open' | 'invite-only'
  publicUrl: string | undefined
  corsOrigins: string[]
  trustProxy: boolean
  loginMaxAttemptsPerIp: number
  loginFreeAttemptsPerAccount: number
  smtp: { url: string; from: string } | undefined
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
  if (Boolean(e.ADMIN_EMAIL) !== Boolean(e.ADMIN_PASSWORD))
    problems.push('ADMIN_EMAIL, ADMIN_PASSWORD: set both or neither')
  const production = e.NODE_ENV === 'production'
  const masterKeyRequired = e.MASTER_KEY_REQUIRED ? e.MASTER_KEY_REQUIRED === 'true' : production
  if (masterKeyRequired && !e.MASTER_KEY)
    problems.push('MASTER_KEY: required in production (generate one with `openssl rand -base64 32`)')
  if (e.MASTER_KEY && Buffer.from(e.MASTER_KEY, 'base64').length !== 32)
    problems.push('MASTER_KEY: must be 32 bytes in base64 (generate one with `openssl rand -base64 32`)')
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
          // Kernels start in their workspace folder (`<id>/data` under this root): the sandbox derives it from there.
          rootDir: path.join(dataDir, 'workspaces'),
          stateDir: path.join(dataDir, 'jupyter'),
          sandbox:
            e.KERNEL_SANDBOX === 'off'
              ? { kind: 'off' }
              : {
                  kind: 'bwrap',
                  memoryBytes: e.KERNEL_MEMORY_LIMIT_BYTES,
                  maxProcesses: e.KERNEL_MAX_PROCESSES,
                  cpuSeconds: e.KERNEL_CPU_SECONDS,
                  diskQuotaBytes: e.KERNEL_WORKSPACE_QUOTA_BYTES,
                },
        },
    temporal: {
      server: e.TEMPORAL_ADDRESS
        ? { kind: 'external', address: e.TEMPORAL_ADDRESS }
        : { kind: 'embedded', cli: abs(e.TEMPORAL_CLI), dbFile: path.join(dataDir, 'temporal.db') },
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      inProcessWorker: e.TEMPORAL_IN_PROCESS_WORKER,
      workerApi: { token: e.WORKER_TOKEN, url: e.WORKBENCH_INTERNAL_URL },
    },
    webDist: abs(e.WEB_DIST),
    files: { maxUploadBytes: e.MAX_UPLOAD_BYTES, staleAfterMs: e.UPLOAD_STALE_AFTER_MINUTES * 60_000 },
    documents: {
      engine: e.OCR_ENGINE,
      http: e.OCR_HTTP_URL ? { url: e.OCR_HTTP_URL, token: e.OCR_HTTP_TOKEN } : undefined,
      languages: e.OCR_LANGUAGES.split('+'),
      defaultLocale: e.RECEIPT_DEFAULT_LOCALE,
      maxBytes: e.DOCUMENT_MAX_BYTES,
      maxPages: e.DOCUMENT_MAX_PAGES,
      maxPixels: e.DOCUMENT_MAX_PIXELS,
      sandbox: e.DOCUMENT_SANDBOX,
    },
    catalog: { discoveryIntervalMs: e.CATALOG_DISCOVERY_INTERVAL_MINUTES * 60_000 },
    notebooks: {
      maxImportBytes: e.NOTEBOOK_MAX_IMPORT_BYTES,
      maxImportCells: e.NOTEBOOK_MAX_IMPORT_CELLS,
      unloadDelayMs: e.COLLAB_UNLOAD_DELAY_MS,
      versions: {
        idleMs: e.NOTEBOOK_VERSION_IDLE_MS,
        keepAutomatic: e.NOTEBOOK_VERSIONS_KEEP_AUTO,
        maxNamed: e.NOTEBOOK_VERSIONS_MAX_NAMED,
      },
    },
    auth: {
      jwtSecret: e.AUTH_JWT_SECRET,
      accessTokenTtlSeconds: e.AUTH_ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: e.AUTH_REFRESH_TOKEN_TTL_DAYS,
      refreshReuseGraceSeconds: e.AUTH_REFRESH_REUSE_GRACE_SECONDS,
      admin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
      registration: e.REGISTRATION,
      publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
      corsOrigins: e.CORS_ORIGINS,
      trustProxy: e.TRUST_PROXY,
      loginMaxAttemptsPerIp: e.LOGIN_MAX_ATTEMPTS_PER_IP,
      loginFreeAttemptsPerAccount: e.LOGIN_FREE_ATTEMPTS_PER_ACCOUNT,
      smtp: e.SMTP_URL ? { url: e.SMTP_URL, from: e.SMTP_FROM } : undefined,
    },
    kernels: {
      duckdbMemoryLimit: e.DUCKDB_MEMORY_LIMIT,
      statementTimeoutMs: e.KERNEL_STATEMENT_TIMEOUT_MS,
      idleCullMs: e.KERNEL_IDLE_CULL_MS,
      quotaCheckMs: e.KERNEL_QUOTA_CHECK_MS,
      maxCellOutputBytes: e.KERNEL_OUTPUT_LIMIT_BYTES,
      pageSize: 1_000,
    },
    connections: {
      masterKey: e.MASTER_KEY,
      masterKeyRequired,
      testTimeoutMs: e.CONNECTION_TEST_TIMEOUT_MS,
      pool: { max: e.CONNECTION_POOL_MAX, idleTimeoutMs: e.CONNECTION_POOL_IDLE_MS },
    },
    sql: {
      statementTimeoutMs: e.SQL_STATEMENT_TIMEOUT_MS,
      scratch: {
        memoryLimit: e.SCRATCH_MEMORY_LIMIT,
        maxDatabases: e.SCRATCH_MAX_DATABASES,
        idleMs: e.SCRATCH_IDLE_MS,
        concurrencyPerUser: e.SQL_CONCURRENCY_PER_USER,
        maxRunning: e.SQL_MAX_RUNNING,
      },
    },
    http: { maxBodyBytes: e.MAX_BODY_BYTES },
    assistant: {
      baseUrl: e.AI_BASE_URL,
      model: e.AI_MODEL,
      apiKey: e.AI_API_KEY?.trim() || undefined,
      timeoutMs: e.AI_TIMEOUT_MS,
      maxRetries: e.AI_MAX_RETRIES,
      maxCorrections: e.AI_MAX_CORRECTIONS,
      prices: e.AI_PRICES,
      embeddedModel: e.AI_EMBEDDED_MODEL === 'on',
    },
  }
}

/** A random secret for a child process we spawn ourselves (e.g. the embedded Jupyter token). */
export function randomToken(): string {
  return randomBytes(24).toString('hex')
}

/**
 * For entrypoints: the config from `process.env`, or exit 2 printing every bad variable (no stack trace).
 */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig(process.env, process.cwd())
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(err.message)
    process.exit(2)
  }
}
