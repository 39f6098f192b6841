import type { Kysely } from 'kysely'
import { open, seal } from '../connections/secret-box.ts'
import type { WorkspaceKeys } from '../connections/workspace-keys.ts'
import type { Database } from '../db/schema.ts'

/** Binds a sealed alert secret to its pipeline: copied onto another pipeline's row, it does not open. */
const contextOf = (pipelineId: string) => `pipeline-alert-secret:${pipelineId}`

/**
 * Alert webhook secrets (the HMAC keys of `X-Workbench-Signature`), sealed with AES-256-GCM under the
 * pipeline's workspace data key, like connection secrets. Master-key rotation re-wraps the data keys
 * only, so sealed secrets survive it untouched.
 */
export class AlertSecrets {
  constructor(private readonly keys: WorkspaceKeys) {}

  /** The value stored in `pipelines.alert_secret_sealed`. */
  async seal(workspaceId: string, pipelineId: string, secret: string): Promise<string> {
    return seal(await this.keys.get(workspaceId), Buffer.from(secret, 'utf8'), contextOf(pipelineId))
  }

  /** The secret of a pipeline row: the sealed one, else a legacy clear one not yet sealed; null when unset. */
  async open(row: {
    id: string
    workspace_id: string
    alert_secret_sealed: string | null
    alert_secret: string | null
  }): Promise<string | null> {
    if (row.alert_secret_sealed)
      return open(await this.keys.get(row.workspace_id), row.alert_secret_sealed, contextOf(row.id)).toString('utf8')
    return row.alert_secret
  }
}

/**
 * Seals every alert secret still stored in clear (written before migration 0014) and clears the clear
 * column. Idempotent and safe to run concurrently: each row is updated only if its clear value is still
 * the one that was sealed. Runs at API start and in `rotate-master-key`; returns how many were sealed.
 */
export async function sealClearAlertSecrets(db: Kysely<Database>, keys: WorkspaceKeys): Promise<number> {
  const secrets = new AlertSecrets(keys)
  const rows = await db
    .selectFrom('pipelines')
    .select(['id', 'workspace_id', 'alert_secret'])
    .where('alert_secret', 'is not', null)
    .execute()
  let sealed = 0
  for (const row of rows) {
    if (row.alert_secret === null) continue
    const result = await db
      .updateTable('pipelines')
      .set({ alert_secret_sealed: await secrets.seal(row.workspace_id, row.id, row.alert_secret), alert_secret: null })
      .where('id', '=', row.id)
      .where('alert_secret', '=', row.alert_secret)
      .executeTakeFirst()
    sealed += Number(result.numUpdatedRows)
  }
  return sealed
}
