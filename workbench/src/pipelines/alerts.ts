import { createHmac } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Database, PipelineAlertsTable } from '../db/schema.ts'
import type { AlertSecrets } from './alert-secrets.ts'

/** Header carrying `sha256=<hex HMAC-SHA256 of the raw body, keyed with the pipeline's alert secret>`. */
export const SIGNATURE_HEADER = 'X-Workbench-Signature'

export interface AlertOptions {
  /** Delivery attempts in all (first included). */
  attempts: number
  /** First retry delay; doubles each time up to `maxDelayMs`. */
  initialDelayMs: number
  maxDelayMs: number
  /** Per-request timeout. */
  timeoutMs: number
}

export const DEFAULT_ALERT_OPTIONS: AlertOptions = {
  attempts: 5,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  timeoutMs: 10_000,
}

/** The signature a receiver recomputes to check an alert came from this workbench. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

export interface AlertInput {
  pipelineId: string
  runId: string | null
  kind: PipelineAlertsTable['kind']
  /** Same key, same alert: recorded and delivered once. */
  dedupeKey: string
  message: string
  details?: Record<string, unknown>
}

/**
 * Records failure alerts and SLA breaches and delivers them to the pipeline's webhook: signed, retried
 * with bounded exponential backoff, delivery state kept on the alert row.
 */
export class AlertDispatcher {
  readonly #pending = new Set<Promise<void>>()
  readonly #options: AlertOptions
  #closed = false

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
    options: Partial<AlertOptions> = {},
    private readonly fetchImpl: typeof fetch = fetch,
    /** Opens sealed secrets; without it only a legacy clear secret can sign. */
    private readonly secrets?: AlertSecrets,
  ) {
    this.#options = { ...DEFAULT_ALERT_OPTIONS, ...options }
  }

  /** Records an alert (once per dedupe key) and starts delivering it; resolves once it is recorded. */
  async raise(alert: AlertInput): Promise<{ id: string } | undefined> {
    const pipeline = await this.db
      .selectFrom('pipelines')
      .select(['id', 'name', 'workspace_id', 'alert_webhook_url', 'alert_secret', 'alert_secret_sealed'])
      .where('id', '=', alert.pipelineId)
      .executeTakeFirst()
    if (!pipeline) return undefined
    const row = await this.db
      .insertInto('pipeline_alerts')
      .values({
        pipeline_id: alert.pipelineId,
        run_id: alert.runId,
        kind: alert.kind,
        dedupe_key: alert.dedupeKey,
        message: alert.message,
        delivery: pipeline.alert_webhook_url ? 'pending' : 'not_configured',
      })
      .onConflict((oc) => oc.columns(['pipeline_id', 'dedupe_key']).doNothing())
      .returning(['id', 'created_at'])
      .executeTakeFirst()
    if (!row || !pipeline.alert_webhook_url) return row && { id: row.id }
    const body = JSON.stringify({
      alertId: row.id,
      kind: alert.kind,
      message: alert.message,
      pipeline: { id: pipeline.id, name: pipeline.name, workspaceId: pipeline.workspace_id },
      runId: alert.runId,
      createdAt: row.created_at,
      ...alert.details,
    })
    const secret = this.secrets
      ? await this.secrets.open(pipeline).catch((err: unknown) => {
          // Delivered unsigned would be refused by a receiver that checks; say why without the secret.
          this.logger.error({ alertId: row.id, err: (err as Error).message }, 'cannot open the alert secret')
          return null
        })
      : pipeline.alert_secret
    const delivery = this.#deliver(row.id, pipeline.alert_webhook_url, secret, body)
    this.#pending.add(delivery)
    void delivery.finally(() => this.#pending.delete(delivery))
    return { id: row.id }
  }

  async #deliver(id: string, url: string, secret: string | null, body: string): Promise<void> {
    const { attempts, initialDelayMs, maxDelayMs, timeoutMs } = this.#options
    let lastError = ''
    let refused = false
    for (let attempt = 1; attempt <= attempts && !this.#closed; attempt++) {
      try {
        const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'workbench-alerts' }
        if (secret) headers[SIGNATURE_HEADER] = signBody(secret, body)
        const res = await this.fetchImpl(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) })
        await res.body?.cancel()
        if (res.ok) {
          await this.db
            .updateTable('pipeline_alerts')
            .set({ delivery: 'delivered', attempts: attempt, delivered_at: new Date(), last_error: null })
            .where('id', '=', id)
            .execute()
          return
        }
        lastError = `HTTP ${res.status}`
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err)
        // The outbound policy refused the webhook: asking again changes nothing.
        if ((err as { code?: string }).code === 'destination_not_allowed') refused = true
      }
      if (refused) lastError = 'destination_not_allowed'
      await this.db
        .updateTable('pipeline_alerts')
        .set({ attempts: attempt, last_error: lastError })
        .where('id', '=', id)
        .execute()
        .catch(() => {})
      if (refused) break
      if (attempt < attempts) await sleep(Math.min(initialDelayMs * 2 ** (attempt - 1), maxDelayMs))
    }
    this.logger.warn({ alertId: id, error: lastError }, 'pipeline alert not delivered')
    await this.db
      .updateTable('pipeline_alerts')
      .set({ delivery: 'failed' })
      .where('id', '=', id)
      .execute()
      .catch(() => {})
  }

  /** Waits for deliveries in flight (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.settle()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
