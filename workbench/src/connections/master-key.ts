import { chmod, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { privateDir, privateFile } from '../services/private-files.ts'
import { generateKey, parseKey, type SecretKey } from './secret-box.ts'

/** Where embedded mode keeps a generated master key (mode 0600). */
export function masterKeyFile(dataDir: string): string {
  return path.join(dataDir, 'secrets', 'master.key')
}

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MasterKeyError'
  }
}

/**
 * The master key that wraps every workspace data key: `MASTER_KEY` when configured; otherwise (embedded
 * mode only) the one in the data folder, generated on first start. With `required` (production) a
 * missing key is an error: a key generated silently beside the data would protect nothing.
 */
export async function resolveMasterKey(
  configured: string | undefined,
  dataDir: string,
  options: { required: boolean; create?: boolean },
): Promise<SecretKey> {
  if (configured) {
    const key = parseKey(configured)
    if (!key) throw new MasterKeyError('MASTER_KEY must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)')
    return key
  }
  if (options.required)
    throw new MasterKeyError('MASTER_KEY is required in production: generate one with `openssl rand -base64 32`')
  const file = masterKeyFile(dataDir)
  try {
    const key = parseKey(await readFile(file, 'utf8'))
    if (!key) throw new MasterKeyError(`${file} does not hold a 32-byte base64 key`)
    // A key file left readable by others (an older version, a restore, a umask) is tightened at start.
    await privateDir(path.dirname(file))
    await privateFile(file)
    return key
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (options.create === false) throw new MasterKeyError(`no MASTER_KEY is configured and ${file} does not exist`)
  const key = generateKey()
  await writeKeyFile(file, key)
  return key
}

/** Writes a key file atomically (temp file + rename) with mode 0600 in a 0700 folder. */
export async function writeKeyFile(file: string, key: SecretKey): Promise<void> {
  await privateDir(path.dirname(file))
  const temp = `${file}.${process.pid}.tmp`
  await writeFile(temp, `${key.key.toString('base64')}\n`, { mode: 0o600 })
  await chmod(temp, 0o600)
  await rename(temp, file)
}
