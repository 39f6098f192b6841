import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Logger } from 'pino'
import { freePort } from './free-port.ts'
import { StartupError } from './startup-error.ts'
import { SupervisedProcess } from './supervisor.ts'

/** Where `scripts/bootstrap/llama-server.mjs` leaves the server binary and the model. */
const TOOLS = path.resolve(import.meta.dirname, '../../../.tools/llama')
export const LLAMA_SERVER_BINARY = path.join(TOOLS, 'bin', 'llama-server')
export const LLAMA_MODEL_FILE = path.join(TOOLS, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf')
/** The model name the server answers to (its `--alias`). */
export const LLAMA_MODEL_ALIAS = 'smollm2-135m'

export interface LlamaServerOptions {
  binary?: string
  model?: string
  /** Context window in tokens (the prompt plus the answer). */
  contextTokens?: number
  threads?: number
}

export interface LlamaServerService {
  /** OpenAI-compatible base URL, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly baseUrl: string
  readonly model: string
  check(): Promise<void>
  stop(): Promise<void>
  readonly process: SupervisedProcess
}

async function checkHealth(origin: string): Promise<void> {
  // llama-server answers 503 on /health while the model is still loading, 200 once it can serve.
  const res = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(2_000) })
  await res.body?.cancel()
  if (!res.ok) throw new Error(`HTTP ${res.status} from /health`)
}

/** True when the bootstrap has built the server and unpacked the model. */
export function llamaServerInstalled(options: LlamaServerOptions = {}): boolean {
  return existsSync(options.binary ?? LLAMA_SERVER_BINARY) && existsSync(options.model ?? LLAMA_MODEL_FILE)
}

/**
 * Starts llama.cpp's server on a free loopback port as a supervised child (health checked, restarted if it dies,
 * stopped with its process group), serving the bootstrap's small model behind the OpenAI-compatible API.
 *
 * @example
 * const llama = await startLlamaServer(logger)
 * const client = new OpenAI({ baseURL: llama.baseUrl, apiKey: 'none' })
 * await llama.stop()
 */
export async function startLlamaServer(logger: Logger, options: LlamaServerOptions = {}): Promise<LlamaServerService> {
  const binary = options.binary ?? LLAMA_SERVER_BINARY
  const model = options.model ?? LLAMA_MODEL_FILE
  if (!existsSync(binary) || !existsSync(model))
    throw new StartupError(
      `llama-server or its model is missing under ${TOOLS}: run \`node scripts/bootstrap.mjs --for=test\` to build them`,
    )
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const child = new SupervisedProcess(
    {
      name: 'llama-server',
      command: binary,
      args: [
        '--model',
        model,
        '--alias',
        LLAMA_MODEL_ALIAS,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--ctx-size',
        String(options.contextTokens ?? 4096),
        '--threads',
        String(options.threads ?? 2),
        '--parallel',
        '1',
        // Tool calls and json_schema need the model's chat template rendered by the server's Jinja engine.
        '--jinja',
        '--no-webui',
      ],
      healthCheck: () => checkHealth(origin),
      startTimeoutMs: 120_000,
    },
    logger,
  )
  await child.start()
  return {
    baseUrl: `${origin}/v1`,
    model: LLAMA_MODEL_ALIAS,
    check: async () => {
      child.assertRunning()
      await checkHealth(origin)
    },
    stop: () => child.stop(),
    process: child,
  }
}
