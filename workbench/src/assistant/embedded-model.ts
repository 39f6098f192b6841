import type { Logger } from 'pino'
import type { Config } from '../config.ts'
import { startLlamaServer } from '../services/llama-server.ts'

/**
 * AI_EMBEDDED_MODEL=on without AI_BASE_URL: the bootstrap's llama-server and small model as a supervised child,
 * so the assistant works with no setup (slowly, and with a tiny model: for trying it, not for real answers).
 * A missing build logs a warning and leaves the assistant off; it never stops the server from starting.
 */
export async function startEmbeddedModel(
  config: Config,
  logger: Logger,
  cleanups: (() => Promise<void>)[],
): Promise<{ baseUrl: string; model: string } | undefined> {
  if (!config.assistant.embeddedModel || config.assistant.baseUrl) return undefined
  try {
    const llama = await startLlamaServer(logger)
    cleanups.push(() => llama.stop())
    logger.info({ baseUrl: llama.baseUrl }, 'embedded model server started')
    return { baseUrl: llama.baseUrl, model: llama.model }
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'embedded model server not started')
    return undefined
  }
}
