/**
 * Memory per open notebook document on the server: loads `BENCH_DOCS` (default 10) rooms of a 500-cell
 * and of a 2,000-cell notebook and reports the JS heap they add, per document, after garbage collection.
 * The embedded PGlite's own memory is WASM (outside the JS heap), so it does not count here.
 *
 *   node --expose-gc --import tsx bench/collab/document-memory.ts
 */
import pino from 'pino'
import * as Y from 'yjs'
import { CollabServer } from '../../workbench/src/collab/collab-server.ts'
import { DocumentStore } from '../../workbench/src/collab/document-store.ts'
import { openDatabase } from '../../workbench/src/db/database.ts'
import { migrateToLatest } from '../../workbench/src/db/migrate.ts'
import { NotebookService } from '../../workbench/src/notebooks/notebook-service.ts'
import { benchNotebook } from './notebook-fixture.ts'

const DOCS = Number(process.env.BENCH_DOCS ?? 10)
const gc = globalThis.gc
if (!gc) throw new Error('run with node --expose-gc')
const collect = async () => {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((r) => setTimeout(r, 50))
  }
  return process.memoryUsage().heapUsed
}

const logger = pino({ level: 'silent' })
const metadata = await openDatabase({ kind: 'pglite', dataDir: 'memory://' })
await migrateToLatest(metadata.db)
const workspace = await metadata.db
  .insertInto('workspaces')
  .values({ name: 'm' })
  .returning('id')
  .executeTakeFirstOrThrow()
const store = new DocumentStore(metadata.db, logger)
const collab = new CollabServer(store, logger, { unloadDelayMs: 3_600_000 })
const notebooks = new NotebookService(metadata.db, store, collab)

for (const cells of [500, 2000]) {
  const ids: string[] = []
  for (let i = 0; i < DOCS; i++)
    ids.push((await notebooks.create(workspace.id, { name: `m${cells}-${i}`, content: benchNotebook(cells) })).id)
  // One load first, so code paths and DB caches are warm and not counted.
  const warm = await store.load(ids[0] as string)
  const stateBytes = Y.encodeStateAsUpdate(warm.doc).byteLength
  warm.doc.destroy()
  const before = await collect()
  for (const id of ids) await collab.room(id)
  const after = await collect()
  const perDoc = (after - before) / DOCS
  console.log(
    `open document, ${cells} cells: ${(perDoc / 1024 / 1024).toFixed(2)} MB of JS heap each (${DOCS} loaded; Yjs state ${(stateBytes / 1024).toFixed(0)} KB)`,
  )
}
// Exit without unloading: destroying hundreds of loaded documents only prints Yjs warnings here.
process.exit(0)
