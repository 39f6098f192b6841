import { chmodSync, mkdirSync, statSync } from 'node:fs'
import { chmod, mkdir, stat } from 'node:fs/promises'

/**
 * Creates `dir` (mode 0700) or tightens an existing one to 0700: key files and the metadata database
 * must be readable by the server's uid only, whatever the umask or an older version left behind.
 */
export async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  if (((await stat(dir)).mode & 0o077) !== 0) await chmod(dir, 0o700)
}

/** {@link privateDir}, synchronously (for callers that create folders synchronously). */
export function privateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700)
}

/** Tightens an existing secret file to 0600 (owner read/write only). */
export async function privateFile(file: string): Promise<void> {
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600)
}
