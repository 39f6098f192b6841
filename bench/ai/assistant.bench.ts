import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { duckdbParser, SearchIndexes, updateAsset } from '@workbench/catalog'
import { sql } from 'kysely'
import pino from 'pino'
import { ModelClient } from '../../workbench/src/assistant/model-client.ts'
import { schemaText, sqlMessages } from '../../workbench/src/assistant/prompt.ts'
import { retrieve } from '../../workbench/src/assistant/retrieval.ts'
import { type AskAnswer, TextToSql } from '../../workbench/src/assistant/text-to-sql.ts'
import { catalogDb } from '../../workbench/src/catalog/catalog-db.ts'
import { CatalogService } from '../../workbench/src/catalog/catalog-service.ts'
import { openDatabase } from '../../workbench/src/db/database.ts'
import { migrateToLatest } from '../../workbench/src/db/migrate.ts'
import { WorkspaceDatabases } from '../../workbench/src/kernels/workspace-databases.ts'
import { llamaServerInstalled, startLlamaServer } from '../../workbench/src/services/llama-server.ts'
import { Planner } from '../../workbench/src/sql/planner.ts'
import { WorkspaceQueries } from '../../workbench/src/sql/workspace-queries.ts'
import { type BenchResult, percentile } from '../harness.ts'
import { DEMO_TABLES, type Difficulty } from './demo-schema.ts'
import { QUESTIONS } from './questions.ts'

/**
 * The assistant benchmark (issue 18) over the shipped sales + accounting demo schema and its 54 questions:
 * - execution accuracy against whatever model AI_BASE_URL (AI_MODEL, AI_API_KEY) points at — else the bootstrap's
 *   llama-server if built — graded by comparing result sets with the gold SQL's, per difficulty, with the
 *   non-executable and refused counts (AI_BENCH_QUESTIONS limits how many are asked);
 * - prompt tokens per question with 1,000 tables catalogued (retrieval), against the whole schema in the prompt;
 * - the assistant's own overhead per question (retrieval + validation) with AI_BENCH_TABLES tables catalogued
 *   (100,000 by default), against the gold query's execution on DuckDB.
 */
const FILLER_TABLES = Number(process.env.AI_BENCH_TABLES ?? 100_000)
const ASKED = Number(process.env.AI_BENCH_QUESTIONS ?? QUESTIONS.length)
const WORDS = ['customer', 'order', 'invoice', 'payment', 'product', 'account', 'expense', 'region', 'sales', 'journal']
const DOMAINS = ['crm', 'finance', 'ops', 'web', 'hr', 'billing', 'supply', 'support', 'marketing', 'legal']
const COLUMNS = ['id', 'created_at', 'amount', 'status', 'country', 'name', 'category', 'quantity', 'price', 'owner_id']

export default async function assistantBench(): Promise<BenchResult[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-ai-'))
  const logger = pino({ level: 'silent' })
  const metadata = await openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'metadata') })
  const databases = new WorkspaceDatabases({ dataDir, memoryLimit: '512MB' })
  const planner = await Planner.open()
  let llama: Awaited<ReturnType<typeof startLlamaServer>> | undefined
  try {
    const migration = await migrateToLatest(metadata.db)
    if (migration.error) throw migration.error
    const db = metadata.db
    const user = await db
      .insertInto('users')
      .values({ email: `bench-${randomUUID()}@example.com`, name: 'bench', password_hash: 'x' })
      .returning('id')
      .executeTakeFirstOrThrow()
    const ws = await db.insertInto('workspaces').values({ name: 'demo' }).returning('id').executeTakeFirstOrThrow()
    const duck = await databases.get(ws.id)
    for (const table of DEMO_TABLES) await duck.query(table.sql)
    const catalog = new CatalogService({
      db,
      logger,
      parse: duckdbParser((text, o) => planner.query(text, o)),
      workspaceDuckdb: databases.get,
      statementTimeoutMs: 60_000,
    })
    await catalog.refresh(ws.id, undefined)
    const assets = await db
      .selectFrom('catalog_assets')
      .select(['id', 'name'])
      .where('workspace_id', '=', ws.id)
      .execute()
    for (const table of DEMO_TABLES) {
      const asset = assets.find((a) => a.name === table.name)
      if (asset) await updateAsset(catalogDb(db), asset.id, { description: table.description })
    }
    const queries = new WorkspaceQueries({
      duckdb: databases.get,
      planner,
      catalog: () => catalog,
      statementTimeoutMs: 30_000,
      concurrencyPerUser: 2,
      maxRunning: 3,
    })
    const source = await db
      .selectFrom('catalog_sources')
      .select('id')
      .where('workspace_id', '=', ws.id)
      .where('kind', '=', 'duckdb')
      .executeTakeFirstOrThrow()
    const results: BenchResult[] = []

    // Prompt tokens with 1,000 tables: what retrieval sends, against the whole schema.
    await addFillers(db, ws.id, source.id, 1, 1_000 - DEMO_TABLES.length)
    let search = new SearchIndexes(catalogDb(db))
    const tokens: number[] = []
    for (const q of QUESTIONS) {
      const retrieval = await retrieve({ db, search }, { workspaceId: ws.id, question: q.question })
      tokens.push(Math.ceil(JSON.stringify(sqlMessages(q.question, retrieval)).length / 4))
    }
    const whole = await retrieve(
      { db, search },
      { workspaceId: ws.id, question: [...WORDS, ...DOMAINS].join(' ') },
      { maxTables: 1_000, maxColumnsPerTable: 40, maxExamples: 0 },
    )
    const wholeTokens = Math.ceil(schemaText(whole).length / 4)
    results.push({
      name: 'ai prompt tokens per question, max (1,000 tables; baseline: whole schema)',
      ours: Math.max(...tokens),
      baseline: wholeTokens,
      unit: ' tok',
      notes: {
        mean: Math.round(tokens.reduce((a, b) => a + b, 0) / tokens.length),
        budget: 4_000,
        wholeTables: whole.tables.length,
      },
    })

    // Overhead (retrieval + validation) with FILLER_TABLES catalogued, against running the gold query.
    await addFillers(db, ws.id, source.id, 1_000 - DEMO_TABLES.length + 1, FILLER_TABLES - 1_000)
    search = new SearchIndexes(catalogDb(db))
    await search.get(ws.id)
    const overhead: number[] = []
    const execution: number[] = []
    for (let round = 0; round < 3; round++)
      for (const q of QUESTIONS) {
        const started = performance.now()
        await retrieve({ db, search }, { workspaceId: ws.id, question: q.question })
        await queries.validate({ workspaceId: ws.id, sql: q.gold })
        overhead.push(performance.now() - started)
        const ran = performance.now()
        await duck.readOnlyQuery(q.gold, { limit: 100, offset: 0, timeoutMs: 30_000 })
        execution.push(performance.now() - ran)
      }
    results.push({
      name: `ai assistant overhead p95 (retrieval + validation, ${FILLER_TABLES.toLocaleString('en')} tables; baseline: gold query on DuckDB)`,
      ours: percentile(overhead, 95),
      baseline: percentile(execution, 95),
      unit: ' ms',
      notes: { p50: Math.round(percentile(overhead, 50) * 10) / 10, budget: '50 ms' },
    })

    // Execution accuracy against the configured model (or the bootstrap's small one).
    let model: ModelClient | undefined
    const settings = { timeoutMs: 120_000, maxRetries: 2, prices: {} }
    if (process.env.AI_BASE_URL)
      model = new ModelClient({
        ...settings,
        baseUrl: process.env.AI_BASE_URL,
        model: process.env.AI_MODEL ?? 'default',
        apiKey: process.env.AI_API_KEY,
      })
    else if (llamaServerInstalled()) {
      llama = await startLlamaServer(logger)
      model = new ModelClient({ ...settings, baseUrl: llama.baseUrl, model: llama.model })
    }
    if (!model) {
      console.log('ai accuracy: no AI_BASE_URL and no bootstrap llama-server: skipped')
      return results
    }
    // Accuracy is measured on the demo tables alone (the fillers only weigh on retrieval time above).
    await db.deleteFrom('catalog_assets').where('workspace_id', '=', ws.id).where('id', 'like', 'filler-%').execute()
    search = new SearchIndexes(catalogDb(db))
    const textToSql = new TextToSql({
      db: () => db,
      search: () => search,
      queries,
      model: async () => model,
      audit: { record: async () => {} },
      maxCorrections: 2,
    })
    const tally = new Map<Difficulty, { asked: number; correct: number }>()
    let nonExecutable = 0
    let refused = 0
    let promptTotal = 0
    const started = performance.now()
    for (const q of QUESTIONS.slice(0, ASKED)) {
      const t = tally.get(q.difficulty) ?? { asked: 0, correct: 0 }
      t.asked += 1
      tally.set(q.difficulty, t)
      let answer: AskAnswer
      try {
        answer = await textToSql.ask({
          workspaceId: ws.id,
          userId: user.id,
          userEmail: null,
          question: q.question,
          origin: 'bench',
        })
      } catch {
        nonExecutable += 1
        continue
      }
      promptTotal += answer.usage.promptTokens
      if (answer.status === 'refused' || answer.status === 'not_found') refused += 1
      else if (answer.status !== 'answered' || !answer.sql) nonExecutable += 1
      else if (await sameResult(queries, ws.id, user.id, answer.sql, q.gold)) t.correct += 1
    }
    const asked = Math.min(ASKED, QUESTIONS.length)
    const correct = [...tally.values()].reduce((a, t) => a + t.correct, 0)
    const byDifficulty = Object.fromEntries([...tally.entries()].map(([d, t]) => [`${d}`, `${t.correct}/${t.asked}`]))
    results.push({
      name: `ai execution accuracy (${model.settings.model} at ${model.settings.baseUrl}; baseline: all questions)`,
      ours: correct,
      baseline: asked,
      unit: '',
      notes: {
        ...byDifficulty,
        nonExecutable,
        refused,
        meanPromptTokens: Math.round(promptTotal / Math.max(1, asked)),
        seconds: Math.round((performance.now() - started) / 1000),
      },
    })
    return results
  } finally {
    await llama?.stop()
    await databases.close()
    await planner.close?.()
    await metadata.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Result sets compared as multisets of rows, each row's values as a multiset (column order and names aside). */
async function sameResult(
  queries: WorkspaceQueries,
  workspaceId: string,
  userId: string,
  answerSql: string,
  goldSql: string,
): Promise<boolean> {
  const run = (text: string) => queries.run({ workspaceId, userId, sql: text, limit: 10_000, offset: 0 })
  try {
    const [answer, gold] = await Promise.all([run(answerSql), run(goldSql)])
    return canonical(answer.rows) === canonical(gold.rows)
  } catch {
    return false
  }
}

function canonical(rows: unknown[][]): string {
  const value = (v: unknown) => {
    if (v === null || v === undefined) return 'null'
    const n = Number(v)
    if (typeof v !== 'boolean' && String(v).trim() !== '' && Number.isFinite(n))
      return String(Math.round(n * 100) / 100)
    return String(v)
  }
  return JSON.stringify(rows.map((r) => r.map(value).sort().join('|')).sort())
}

/** Generated catalog entries in the workspace DuckDB's source, named from the same words as the questions. */
async function addFillers(
  db: Awaited<ReturnType<typeof openDatabase>>['db'],
  workspaceId: string,
  sourceId: string,
  from: number,
  count: number,
): Promise<void> {
  if (count <= 0) return
  const arr = (words: string[]) => sql.raw(`ARRAY[${words.map((w) => `'${w}'`).join(',')}]`)
  const batch = 10_000
  for (let start = from; start < from + count; start += batch) {
    const end = Math.min(from + count - 1, start + batch - 1)
    await sql`
      INSERT INTO catalog_assets (id, workspace_id, source_id, schema_name, name, kind, description, owners, tags, row_estimate, usage_count, discovered_at)
      SELECT 'filler-' || g, ${workspaceId}, ${sourceId}, (${arr(DOMAINS)})[1 + g % 10],
             (${arr(WORDS)})[1 + (g / 10) % 10] || '_' || (${arr(DOMAINS)})[1 + g % 10] || '_' || g,
             'table', 'Generated ' || (${arr(WORDS)})[1 + g % 10] || ' data', '{}'::text[], '{}'::text[], g, g % 5, now()
      FROM generate_series(${start}::int, ${end}::int) g
    `.execute(db)
    await sql`
      INSERT INTO catalog_columns (asset_id, name, ordinal, type, nullable)
      SELECT 'filler-' || g, (${arr(COLUMNS)})[1 + (g + c) % 10] || '_' || c, c, 'VARCHAR', true
      FROM generate_series(${start}::int, ${end}::int) g, generate_series(1, 6) c
    `.execute(db)
  }
}
