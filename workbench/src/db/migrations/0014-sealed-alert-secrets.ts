import type { Kysely } from 'kysely'

/**
 * Alert webhook secrets are sealed (AES-256-GCM) under the workspace data key, like connection secrets.
 * A migration has no master key, so it only adds the column: secrets stored in clear by earlier versions
 * (`alert_secret`) are sealed into it and cleared by the API server at start and by `rotate-master-key`
 * (`sealClearAlertSecrets`), both idempotent. `alert_secret` stays for that upgrade only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('pipelines').addColumn('alert_secret_sealed', 'text').execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('pipelines').dropColumn('alert_secret_sealed').execute()
}
