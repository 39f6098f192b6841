import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'

/**
 * The access-token signing key: `AUTH_JWT_SECRET` when set; otherwise one generated on first start and
 * kept (mode 0600) in the data folder, so embedded mode needs no setup and sessions survive restarts.
 * Several instances behind a load balancer must share `AUTH_JWT_SECRET` instead.
 */
export async function resolveSigningKey(configured: string | undefined, dataDir: string): Promise<string> {
  if (configured) return configured
  const file = path.join(dataDir, 'secrets', 'jwt-signing.key')
  try {
    const existing = (await readFile(file, 'utf8')).trim()
    if (existing.length >= 32) return existing
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const key = randomBytes(48).toString('base64url')
  await writeFile(file, key, { mode: 0o600 })
  return key
}
