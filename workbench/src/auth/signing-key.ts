import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { privateDir, privateFile } from '../services/private-files.ts'

/**
 * The access-token signing key: `AUTH_JWT_SECRET` when set; otherwise one generated on first start and
 * kept (mode 0600, in a 0700 folder; an existing file and folder are tightened to that at start) in the
 * data folder, so embedded mode needs no setup and sessions survive restarts.
 * Several instances behind a load balancer must share `AUTH_JWT_SECRET` instead.
 */
export async function resolveSigningKey(configured: string | undefined, dataDir: string): Promise<string> {
  if (configured) return configured
  const file = path.join(dataDir, 'secrets', 'jwt-signing.key')
  await privateDir(path.dirname(file))
  try {
    const existing = (await readFile(file, 'utf8')).trim()
    await privateFile(file)
    if (existing.length >= 32) return existing
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const key = randomBytes(48).toString('base64url')
  await writeFile(file, key, { mode: 0o600 })
  return key
}
