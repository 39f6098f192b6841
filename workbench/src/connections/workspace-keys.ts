import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'
import { generateKey, open, type SecretKey, seal, secretKey } from './secret-box.ts'

const wrapContext = (workspaceId: string) => `workspace-key:${workspaceId}`

/**
 * Per-workspace data keys (envelope encryption): each workspace's secrets are sealed with its own
 * random key, stored wrapped by the master key. Unwrapped keys are cached for the process's life.
 */
export class WorkspaceKeys {
  private readonly cache = new Map<string, Promise<SecretKey>>()

  constructor(
    private readonly db: () => Kysely<Database>,
    private readonly master: SecretKey,
  ) {}

  /** The workspace's data key, created on first use. */
  get(workspaceId: string): Promise<SecretKey> {
    let key = this.cache.get(workspaceId)
    if (!key) {
      key = this.load(workspaceId)
      this.cache.set(workspaceId, key)
      key.catch(() => this.cache.delete(workspaceId))
    }
    return key
  }

  private async load(workspaceId: string): Promise<SecretKey> {
    const fresh = generateKey()
    // Insert-if-absent, then read back: two first uses at once agree on one key.
    await this.db()
      .insertInto('workspace_keys')
      .values({
        workspace_id: workspaceId,
        wrapped_key: seal(this.master, fresh.key, wrapContext(workspaceId)),
        master_key_id: this.master.id,
      })
      .onConflict((oc) => oc.column('workspace_id').doNothing())
      .execute()
    const row = await this.db()
      .selectFrom('workspace_keys')
      .select(['wrapped_key', 'master_key_id'])
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow()
    if (row.master_key_id !== this.master.id)
      throw new Error(
        `workspace ${workspaceId}'s data key was wrapped by master key ${row.master_key_id}, not the configured ${this.master.id}`,
      )
    return secretKey(open(this.master, row.wrapped_key, wrapContext(workspaceId)))
  }
}

/**
 * Re-wraps every workspace data key from `oldKey` to `newKey` in one transaction: either every key is
 * rewrapped or none is (a key that does not open with `oldKey` aborts the whole rotation).
 * Connection secrets are untouched: they stay sealed by the (unchanged) data keys.
 */
export async function rotateMasterKey(
  db: Kysely<Database>,
  oldKey: SecretKey,
  newKey: SecretKey,
): Promise<{ rewrapped: number }> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('workspace_keys').select(['workspace_id', 'wrapped_key']).forUpdate().execute()
    for (const row of rows) {
      const raw = open(oldKey, row.wrapped_key, wrapContext(row.workspace_id))
      await trx
        .updateTable('workspace_keys')
        .set({
          wrapped_key: seal(newKey, raw, wrapContext(row.workspace_id)),
          master_key_id: newKey.id,
          rotated_at: new Date(),
        })
        .where('workspace_id', '=', row.workspace_id)
        .execute()
    }
    return { rewrapped: rows.length }
  })
}
