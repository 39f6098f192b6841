import path from 'node:path'
import { duckdbParser, setTags } from '@workbench/catalog'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { createIdentity } from '../../src/auth/identity.ts'
import { CatalogService } from '../../src/catalog/catalog-service.ts'
import { loadConfig } from '../../src/config.ts'
import { createLogger } from '../../src/logger.ts'
import {
  buildWebApp,
  type LoopbackServer,
  launchBrowser,
  SCREENSHOT_DIR,
  serveOnLoopback,
  type TestBrowser,
} from '../support/browser.ts'
import { createTestDatabase, type TestDatabase } from '../support/databases.ts'
import { TEST_SIGNING_KEY } from '../support/identity.ts'
import { exec, openWorkspaceDuckdb } from './helpers.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')

/** Chromium against the real API and the built web app: search, open the asset, preview with a masked email. */
describe('catalog in the browser', () => {
  let database: TestDatabase
  let workspace: Awaited<ReturnType<typeof openWorkspaceDuckdb>>
  let scratch: DuckdbDatabase
  let catalog: CatalogService
  let server: LoopbackServer
  let url: string
  let chromium: TestBrowser

  beforeAll(async () => {
    const webDist = buildWebApp('catalog')
    database = await createTestDatabase('pglite', { migrate: true })
    const logger = createLogger('silent')
    const config = loadConfig({ AUTH_JWT_SECRET: TEST_SIGNING_KEY, TRUST_PROXY: 'false' }, ROOT)
    const identity = createIdentity({
      db: () => database.db,
      options: { ...config.auth, jwtSecret: TEST_SIGNING_KEY },
      logger,
    })
    workspace = await openWorkspaceDuckdb()
    await exec(
      workspace.duckdb,
      'CREATE TABLE customers (id INTEGER, email VARCHAR, city VARCHAR)',
      "INSERT INTO customers VALUES (1, 'jane.doe@example.com', 'Lyon'), (2, 'bob@example.org', 'Nantes')",
      'CREATE TABLE orders (id INTEGER, customer_id INTEGER, amount DOUBLE)',
    )
    scratch = await DuckdbDatabase.open({ path: ':memory:', sandboxed: true })
    catalog = new CatalogService({
      db: database.db,
      logger,
      parse: duckdbParser((sql, o) => scratch.query(sql, o)),
      workspaceDuckdb: async () => workspace.duckdb,
    })
    const app = createApp({
      logger,
      readiness: { database: () => database.ping(), duckdb: undefined, jupyter: undefined, temporal: undefined },
      planner: () => scratch,
      identity,
      catalog: () => catalog,
      webDist,
    })
    server = await serveOnLoopback(app.fetch)
    url = server.url
    chromium = await launchBrowser()
  }, 240_000)
  afterAll(async () => {
    await chromium?.close()
    await server?.close()
    await catalog?.idle()
    scratch?.close()
    workspace?.dispose()
    await database?.dispose()
  })

  it('searches, opens the asset page and previews rows with the email masked', async () => {
    const context = await chromium.browser.newContext()
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(url)
    await page.getByLabel('Name').fill('Dana Data')
    await page.getByLabel('Email').fill('dana@example.com')
    await page.getByLabel('Password (at least 12 characters)').fill('dana password 1234')
    await page.getByRole('button', { name: 'Create account' }).click()
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe('dana@example.com')
    await page.getByRole('button', { name: 'New workspace', exact: true }).click()
    await page.getByLabel('New workspace name').fill('Analytics')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByRole('heading', { name: /Analytics/ }).waitFor()
    const workspaceId = new URL(page.url()).pathname.split('/')[2] ?? ''

    // Catalogue the workspace DuckDB and classify the email column, as an admin and an editor would.
    const sourceId = await catalog.workspaceSource(workspaceId)
    await catalog.startDiscovery(workspaceId, sourceId, null)
    await catalog.idle()
    const customers = await catalog.db
      .selectFrom('catalog_assets')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', 'customers')
      .executeTakeFirstOrThrow()
    await setTags(catalog.db, customers.id, [{ column: 'email', tag: 'PII.email', status: 'accepted' }], null)

    await page.getByRole('link', { name: 'Catalog' }).click()
    await page.getByLabel('Search the catalog').fill('custmers')
    await page.getByRole('link', { name: 'main.customers' }).click()
    await page.getByRole('heading', { name: /main\.customers/ }).waitFor()
    expect(await page.getByTestId('asset-sql').textContent()).toBe('SELECT * FROM "main"."customers" LIMIT 100')
    await page.getByRole('tab', { name: 'Preview' }).click()
    await page.getByRole('button', { name: 'Show sample rows' }).click()
    const preview = page.getByTestId('preview')
    await preview.waitFor()
    expect(await preview.textContent()).toContain('j***@example.com')
    expect(await preview.textContent()).not.toContain('jane.doe@example.com')
    expect(await preview.textContent()).toContain('Lyon')
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'catalog-asset-preview.png'), fullPage: true })
    expect(errors).toEqual([])
  })
})
