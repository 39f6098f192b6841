import { rename, rm } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { type Config, loadConfigOrExit } from '../config.ts'
import { masterKeyFile, resolveMasterKey, writeKeyFile } from '../connections/master-key.ts'
import { generateKey, parseKey, type SecretKey } from '../connections/secret-box.ts'
import { rotateMasterKey, WorkspaceKeys } from '../connections/workspace-keys.ts'
import { openDatabase } from '../db/database.ts'
import { sealClearAlertSecrets } from '../pipelines/alert-secrets.ts'

export interface RotationOutcome {
  rewrapped: number
  /** Pipeline alert secrets found in clear (written before migration 0014) and sealed first. */
  sealedAlertSecrets: number
  newKeyId: string
  /** Set when the new key was generated and must be stored by the operator (MASTER_KEY is configured). */
  printKey?: string
  /** Set when the key file in the data folder was replaced (embedded mode). */
  keyFile?: string
}

/**
 * Re-wraps every workspace data key with a new master key, in one transaction (all or nothing).
 * Secrets sealed under the data keys (connections, pipeline alert secrets) are untouched; alert secrets
 * still stored in clear by an older version are sealed first (under the old master key's data keys,
 * which the rotation then re-wraps), so a rotation never leaves a secret in clear.
 * - `MASTER_KEY` configured: the new key is `NEW_MASTER_KEY`, or generated and printed once (`--generate`);
 *   the operator then sets MASTER_KEY to it and restarts.
 * - Embedded (key in the data folder): a new key is generated, written beside the old one as
 *   `master.key.next` before the database commit, and renamed over `master.key` after it, so an
 *   interrupted rotation leaves both keys on disk and never a database that no key opens.
 */
export async function rotate(
  config: Config,
  options: { newKey?: string; generate?: boolean },
): Promise<RotationOutcome> {
  const embedded = !config.connections.masterKey
  const oldKey = await resolveMasterKey(config.connections.masterKey, config.dataDir, {
    required: config.connections.masterKeyRequired,
    create: false,
  })
  let newKey: SecretKey
  if (options.newKey) {
    const parsed = parseKey(options.newKey)
    if (!parsed) throw new Error('NEW_MASTER_KEY must be 32 bytes in base64 (`openssl rand -base64 32`)')
    newKey = parsed
  } else if (options.generate || embedded) newKey = generateKey()
  else throw new Error('set NEW_MASTER_KEY, or pass --generate to create one')
  if (newKey.id === oldKey.id) throw new Error('the new master key is the current one')

  const file = masterKeyFile(config.dataDir)
  const next = `${file}.next`
  if (embedded) await writeKeyFile(next, newKey)
  const db = await openDatabase(config.database)
  try {
    // A database not yet migrated to 0014 (the API server migrates at start) has nowhere to seal them.
    const tables = await db.db.introspection.getTables()
    const pipelines = tables.find((t) => t.name === 'pipelines')
    const sealedAlertSecrets = pipelines?.columns.some((c) => c.name === 'alert_secret_sealed')
      ? await sealClearAlertSecrets(db.db, new WorkspaceKeys(() => db.db, oldKey))
      : 0
    const { rewrapped } = await rotateMasterKey(db.db, oldKey, newKey)
    if (embedded) await rename(next, file)
    return {
      rewrapped,
      sealedAlertSecrets,
      newKeyId: newKey.id,
      ...(embedded ? { keyFile: file } : {}),
      ...(!embedded && !options.newKey ? { printKey: newKey.key.toString('base64') } : {}),
    }
  } catch (err) {
    if (embedded) await rm(next, { force: true })
    throw err
  } finally {
    await db.close()
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit()
  try {
    const outcome = await rotate(config, {
      newKey: process.env.NEW_MASTER_KEY?.trim() || undefined,
      generate: process.argv.includes('--generate'),
    })
    if (outcome.sealedAlertSecrets > 0)
      console.error(`rotate-master-key: sealed ${outcome.sealedAlertSecrets} alert secret(s) that were stored in clear`)
    console.error(`rotate-master-key: re-wrapped ${outcome.rewrapped} workspace key(s) with key ${outcome.newKeyId}`)
    if (outcome.keyFile) console.error(`rotate-master-key: the new key is in ${outcome.keyFile}`)
    if (outcome.printKey) {
      console.error('rotate-master-key: set MASTER_KEY to this value (shown once) and restart:')
      console.log(outcome.printKey)
    }
  } catch (err) {
    console.error(`rotate-master-key: ${err instanceof Error ? err.message : String(err)}; nothing was changed`)
    process.exit(1)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
