import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

/** tsx's ESM `register` (its CommonJS twin cannot register from a worker). */
function tsxApiUrl(): string {
  try {
    return import.meta.resolve('tsx/esm/api')
  } catch {
    return pathToFileURL(
      createRequire(import.meta.url)
        .resolve('tsx/esm/api')
        .replace(/\.cjs$/, '.mjs'),
    ).href
  }
}

/**
 * Starts a worker thread on a TypeScript entry: the server runs its TypeScript through tsx, so the worker
 * registers the same loader, then loads `entry`. The worker is unref'd (it never keeps the process alive).
 *
 * @example
 * const worker = startTsWorker(new URL('./xlsx-worker.ts', import.meta.url))
 */
export function startTsWorker(entry: URL): Worker {
  const tsx = tsxApiUrl()
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}) })`
  const worker = new Worker(bootstrap, { eval: true })
  worker.unref()
  return worker
}
