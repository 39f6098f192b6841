import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { rotate } from '../../src/cli/rotate-master-key.ts'
import { loadConfig } from '../../src/config.ts'
import { masterKeyFile, resolveMasterKey } from '../../src/connections/master-key.ts'
import {
  generateKey,
  open,
  openJson,
  parseKey,
  SecretBoxError,
  seal,
  sealJson,
} from '../../src/connections/secret-box.ts'
import { rotateMasterKey, WorkspaceKeys } from '../../src/connections/workspace-keys.ts'
import { openDatabase } from '../../src/db/database.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'
import { AlertSecrets } from '../../src/pipelines/alert-secrets.ts'
import { createTestDatabase, DATABASE_KINDS } from '../support/databases.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'workbench-keys-'))
  dirs.push(dir)
  return dir
}

describe('secret box (AES-256-GCM)', () => {
  it('round-trips, and refuses a wrong key, a wrong context or a tampered value', () => {
    const key = generateKey()
    const sealed = seal(key, Buffer.from('s3cret'), 'connection:a')
    expect(open(key, sealed, 'connection:a').toString()).toBe('s3cret')
    expect(sealed).not.toContain('s3cret')
    expect(() => open(generateKey(), sealed, 'connection:a')).toThrow(SecretBoxError)
    expect(() => open(key, sealed, 'connection:b')).toThrow(SecretBoxError)
    const parts = sealed.split('.')
    parts[3] = Buffer.from('x'.repeat(6)).toString('base64url')
    expect(() => open(key, parts.join('.'), 'connection:a')).toThrow(SecretBoxError)
    // A fresh IV every time: equal secrets do not give equal ciphertexts.
    expect(seal(key, Buffer.from('s3cret'), 'connection:a')).not.toBe(sealed)
  })
})

describe('master key', () => {
  it('embedded mode generates one into the data folder with 0600 permissions, and keeps it', async () => {
    const dataDir = tempDir()
    const key = await resolveMasterKey(undefined, dataDir, { required: false })
    const file = masterKeyFile(dataDir)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
    expect(parseKey(readFileSync(file, 'utf8'))?.id).toBe(key.id)
    expect((await resolveMasterKey(undefined, dataDir, { required: false })).id).toBe(key.id)
  })

  it('production refuses to run without MASTER_KEY, or with a malformed one', async () => {
    expect(() => loadConfig({ NODE_ENV: 'production' }, '/srv')).toThrow(/MASTER_KEY: required in production/)
    expect(() => loadConfig({ MASTER_KEY_REQUIRED: 'true' }, '/srv')).toThrow(/MASTER_KEY/)
    expect(() => loadConfig({ NODE_ENV: 'production', MASTER_KEY: 'c2hvcnQ=' }, '/srv')).toThrow(/32 bytes/)
    const good = generateKey().key.toString('base64')
    const config = loadConfig({ NODE_ENV: 'production', MASTER_KEY: good }, '/srv')
    expect(config.connections).toMatchObject({ masterKeyRequired: true })
    expect(loadConfig({}, '/srv').connections).toMatchObject({ masterKeyRequired: false })
    await expect(resolveMasterKey(undefined, tempDir(), { required: true })).rejects.toThrow(/required in production/)
  })

  it('the server exits at start in production without a master key, naming the variable', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workbench/src/main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', DATA_DIR: tempDir(), PORT: '0' },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(res.status).toBe(2)
    expect(res.stderr).toContain('MASTER_KEY: required in production')
  })
})

describe.each(DATABASE_KINDS)('master key rotation (%s)', (kind) => {
  it('re-wraps every data key; connection secrets still open; the old key no longer does', async () => {
    const db = await createTestDatabase(kind, { migrate: true })
    try {
      const oldKey = generateKey()
      const ids: string[] = []
      for (const name of ['a', 'b', 'c'])
        ids.push((await db.db.insertInto('workspaces').values({ name }).returning('id').executeTakeFirstOrThrow()).id)
      const sealed = new Map<string, string>()
      for (const id of ids) {
        const key = await new WorkspaceKeys(() => db.db, oldKey).get(id)
        sealed.set(id, sealJson(key, { password: `pw-${id}` }, 'connection:x'))
      }
      const newKey = generateKey()
      expect(await rotateMasterKey(db.db, oldKey, newKey)).toEqual({ rewrapped: 3 })
      for (const id of ids) {
        const key = await new WorkspaceKeys(() => db.db, newKey).get(id)
        expect(openJson(key, sealed.get(id) ?? '', 'connection:x')).toEqual({ password: `pw-${id}` })
        await expect(new WorkspaceKeys(() => db.db, oldKey).get(id)).rejects.toThrow(/wrapped by master key/)
      }
    } finally {
      await db.dispose()
    }
  })

  it('is atomic: one key that does not open aborts the rotation and changes nothing', async () => {
    const db = await createTestDatabase(kind, { migrate: true })
    try {
      const oldKey = generateKey()
      for (const name of ['a', 'b']) {
        const id = (await db.db.insertInto('workspaces').values({ name }).returning('id').executeTakeFirstOrThrow()).id
        await new WorkspaceKeys(() => db.db, oldKey).get(id)
      }
      const stranger = (
        await db.db.insertInto('workspaces').values({ name: 'z' }).returning('id').executeTakeFirstOrThrow()
      ).id
      await new WorkspaceKeys(() => db.db, generateKey()).get(stranger)
      const before = await db.db.selectFrom('workspace_keys').selectAll().orderBy('workspace_id').execute()
      await expect(rotateMasterKey(db.db, oldKey, generateKey())).rejects.toThrow(SecretBoxError)
      expect(await db.db.selectFrom('workspace_keys').selectAll().orderBy('workspace_id').execute()).toEqual(before)
    } finally {
      await db.dispose()
    }
  })
})

describe('rotate-master-key command (embedded mode)', () => {
  it('replaces the key file (0600) after re-wrapping every data key in the metadata database', async () => {
    const dataDir = tempDir()
    const config = loadConfig({ DATA_DIR: dataDir }, ROOT)
    const oldKey = await resolveMasterKey(undefined, dataDir, { required: false })
    const metadata = await openDatabase(config.database)
    const migrated = await migrateToLatest(metadata.db)
    if (migrated.error) throw migrated.error
    const ws = (
      await metadata.db.insertInto('workspaces').values({ name: 'w' }).returning('id').executeTakeFirstOrThrow()
    ).id
    const dataKey = await new WorkspaceKeys(() => metadata.db, oldKey).get(ws)
    // One pipeline alert secret sealed by the current version, one left in clear by an older one.
    const sealedSecret = await new AlertSecrets(new WorkspaceKeys(() => metadata.db, oldKey)).seal(ws, 'p1', 'sealed-1')
    await metadata.db
      .insertInto('pipelines')
      .values([
        {
          id: 'p1',
          workspace_id: ws,
          name: 'p1',
          alert_secret: null,
          alert_secret_sealed: sealedSecret,
          sla: null,
          created_by: null,
        },
        {
          id: 'p2',
          workspace_id: ws,
          name: 'p2',
          alert_secret: 'clear-2',
          alert_secret_sealed: null,
          sla: null,
          created_by: null,
        },
      ])
      .execute()
    await metadata.close()

    const outcome = await rotate(config, {})
    expect(outcome).toMatchObject({ rewrapped: 1, sealedAlertSecrets: 1, keyFile: masterKeyFile(dataDir) })
    expect(outcome.printKey).toBeUndefined()
    const newKey = await resolveMasterKey(undefined, dataDir, { required: false })
    expect(newKey.id).toBe(outcome.newKeyId)
    expect(newKey.id).not.toBe(oldKey.id)
    expect(statSync(masterKeyFile(dataDir)).mode & 0o777).toBe(0o600)
    const reopened = await openDatabase(config.database)
    try {
      expect((await new WorkspaceKeys(() => reopened.db, newKey).get(ws)).key.equals(dataKey.key)).toBe(true)
      // Both alert secrets open with the new master key, and none is left in clear.
      const secrets = new AlertSecrets(new WorkspaceKeys(() => reopened.db, newKey))
      const rows = await reopened.db.selectFrom('pipelines').selectAll().orderBy('id').execute()
      expect(rows.map((r) => r.alert_secret)).toEqual([null, null])
      expect(await Promise.all(rows.map((r) => secrets.open(r)))).toEqual(['sealed-1', 'clear-2'])
    } finally {
      await reopened.close()
    }
  })

  it('with MASTER_KEY configured, needs NEW_MASTER_KEY or --generate', async () => {
    const config = loadConfig({ DATA_DIR: tempDir(), MASTER_KEY: generateKey().key.toString('base64') }, ROOT)
    await expect(rotate(config, {})).rejects.toThrow(/NEW_MASTER_KEY/)
  })
})
