import os from 'node:os'
import path from 'node:path'

/**
 * Folders of the server whose paths must not appear in any answer: the data folder (registered by the
 * runtime), the temporary folder, the working directory, the home folder and the installation. A path
 * tells callers the data folder's layout, the user the server runs as, and where keys live.
 */
const roots = new Set<string>()

function add(dir: string | undefined): void {
  if (!dir) return
  const resolved = path.resolve(dir)
  // The filesystem root (or a one-letter folder) would redact every path-like text.
  if (resolved.length > 2) roots.add(resolved)
}

add(os.tmpdir())
add(process.cwd())
add(os.homedir())
add(path.resolve(import.meta.dirname, '../../..'))

/** Adds a server folder (e.g. `DATA_DIR`) to what {@link redactServerPaths} hides. */
export function registerServerPath(dir: string): void {
  add(dir)
  pattern = undefined
}

let pattern: RegExp | undefined

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * `text` with every path under a server folder replaced by `<server path>/<file name>` (the name alone
 * says which file a message is about, the folders would say where the server keeps it).
 *
 * @example
 * redactServerPaths('Malformed JSON in file "/srv/data/workspaces/1/files/2/original"')
 * // 'Malformed JSON in file "<server path>/original"'
 */
export function redactServerPaths(text: string): string {
  if (roots.size === 0) return text
  // Longest first, so a data folder inside the working directory is matched whole.
  pattern ??= new RegExp(
    `(?:${[...roots]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|')})(?:/[^\\s'"\`<>|,;:)\\]]*)?`,
    'g',
  )
  return text.replace(pattern, (found) => `<server path>/${path.basename(found)}`)
}

/** {@link redactServerPaths} over every string inside a JSON-like value. */
export function redactServerPathsDeep<T>(value: T): T {
  if (typeof value === 'string') return redactServerPaths(value) as T
  if (Array.isArray(value)) return value.map(redactServerPathsDeep) as T
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) copy[key] = redactServerPathsDeep(item)
    return copy as T
  }
  return value
}
