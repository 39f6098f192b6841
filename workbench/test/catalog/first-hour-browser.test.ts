import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { duckdbParser } from '@workbench/catalog'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CatalogService } from '../../src/catalog/catalog-service.ts'
import { connectionSources } from '../../src/catalog/connection-sources.ts'
import { ConnectionService } from '../../src/connections/connection-service.ts'
import { writeAllowedNetworks } from '../../src/connections/network-settings.ts'
import { generateKey } from '../../src/connections/secret-box.ts'
import {
  buildWebApp,
  type LoopbackServer,
  launchBrowser,
  SCREENSHOT_DIR,
  serveOnLoopback,
  type TestBrowser,
} from '../support/browser.ts'
import { runPostgresParams, runPostgresSql } from '../support/connections.ts'
import { createIdentityFixture, type IdentityFixture } from '../support/identity.ts'
import { exec, openWorkspaceDuckdb } from './helpers.ts'

/**
 * Chromium against the real API, catalog and connection service (the test PostgreSQL as a connection): the empty
 * catalog explains itself, a new connection is added to the catalog from its form and discovered at once, a new
 * table's emails are masked before review, a tag is accepted and removed (audited), "Used by" names the notebook,
 * lineage nodes link to their assets, and a wide sample scrolls inside the page.
 */
describe('the catalog in the first hour, in the browser', () => {
  let f: IdentityFixture
  let workspace: Awaited<ReturnType<typeof openWorkspaceDuckdb>>
  let scratch: DuckdbDatabase
  let catalog: CatalogService | undefined
  let connections: ConnectionService | undefined
  let server: LoopbackServer
  let chromium: TestBrowser
  let page: Page
  const errors: string[] = []
  const schema = `browse_${randomUUID().slice(0, 8)}`
  const shot = (name: string) =>
    page.screenshot({ path: path.join(SCREENSHOT_DIR, `catalog-first-hour-${name}.png`), fullPage: true })

  beforeAll(async () => {
    const webDist = buildWebApp('catalog-first-hour')
    workspace = await openWorkspaceDuckdb()
    scratch = await DuckdbDatabase.open({ path: ':memory:', sandboxed: true })
    await runPostgresSql(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.suppliers (id int, contact text)`)
    f = await createIdentityFixture('pglite', {
      webDist,
      env: { TRUST_PROXY: 'false' },
      deps: (database, logger) => {
        connections = new ConnectionService({
          db: () => database.db,
          masterKey: generateKey(),
          logger,
          timeoutMs: 10_000,
          pool: { max: 3, idleTimeoutMs: 5_000 },
        })
        catalog = new CatalogService({
          db: database.db,
          logger,
          parse: duckdbParser((sql, o) => scratch.query(sql, o)),
          workspaceDuckdb: async () => workspace.duckdb,
          connectionSources: connectionSources(() => connections),
        })
        return { connections: () => connections, catalog: () => catalog, planner: () => scratch }
      },
    })
    await writeAllowedNetworks(f.db, ['127.0.0.0/8', '::1/128'])
    server = await serveOnLoopback(f.app.fetch)
    chromium = await launchBrowser()
    page = await (await chromium.browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage()
    page.on('pageerror', (err) => errors.push(err.message))
  }, 240_000)
  afterAll(async () => {
    await chromium?.close()
    await server?.close()
    await catalog?.idle()
    await connections?.close()
    await f?.dispose()
    scratch?.close()
    workspace?.dispose()
    await runPostgresSql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  })

  it('from an empty catalog to a reviewed, linked asset', async () => {
    const service = catalog
    if (!service) throw new Error('no catalog')
    await page.goto(server.url)
    await page.getByLabel('Name').fill('Dana Data')
    await page.getByLabel('Email').fill('dana@example.com')
    await page.getByLabel('Password (at least 12 characters)').fill('dana password 1234')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('button', { name: 'New workspace', exact: true }).click()
    await page.getByLabel('New workspace name').fill('Analytics')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByRole('heading', { name: /Analytics/ }).waitFor()
    const workspaceId = new URL(page.url()).pathname.split('/')[2] ?? ''

    // The empty catalog says what to do.
    await page.getByRole('link', { name: 'Catalog' }).click()
    const empty = page.getByTestId('catalog-empty')
    await empty.waitFor()
    expect(await empty.textContent()).toContain('Import a file')
    await shot('empty')

    // A new PostgreSQL connection, "Add to catalog" on by default: it is catalogued and discovered at once.
    await page.getByRole('link', { name: 'Connections' }).click()
    await page.getByRole('button', { name: 'New PostgreSQL connection' }).click()
    const form = page.getByRole('form', { name: 'Connection' })
    const params = runPostgresParams()
    await form.getByLabel('Connection name').fill('Suppliers')
    await form.getByLabel('Host name or IP address').fill(params.host)
    await form.getByLabel('Port').fill(String(params.port))
    await form.getByLabel('Database').fill(params.database)
    await form.getByLabel('User').fill(params.user)
    await form.getByLabel('Password').fill(params.password)
    await form.getByLabel('TLS').selectOption('disable')
    expect(await form.getByLabel(/Add to catalog/).isChecked()).toBe(true)
    await form.getByRole('button', { name: 'Save', exact: true }).click()
    await form.waitFor({ state: 'detached' })
    await service.idle()

    // Meanwhile a notebook derived a table from the workspace's customers.
    await exec(
      workspace.duckdb,
      `CREATE TABLE customers (id INTEGER, email VARCHAR, signup DATE, note VARCHAR)`,
      `INSERT INTO customers VALUES
         (1, 'jane.doe@example.com', DATE '2024-01-15', '${'A long note that would push the page wider. '.repeat(6)}'),
         (2, 'bob@example.org', DATE '2023-12-31', 'short'), (3, 'cy@example.net', DATE '2022-06-01', 'short')`,
      'CREATE TABLE leads AS SELECT id, email FROM customers',
    )
    const notebookId = randomUUID()
    await f.db
      .insertInto('notebooks')
      .values({ id: notebookId, workspace_id: workspaceId, name: 'Lead scoring' })
      .execute()
    await service.recordLineage({
      workspaceId,
      sql: 'CREATE TABLE leads AS SELECT id, email FROM customers',
      producer: { kind: 'notebook', id: notebookId, version: 'seq:1' },
    })
    await service.tablesChanged(workspaceId)
    await service.idle()

    await page.getByRole('link', { name: 'Catalog' }).click()
    const sources = page.getByRole('region', { name: 'Catalog sources' })
    await expect.poll(() => sources.textContent()).toContain('Suppliers')
    await page.getByLabel('Search the catalog').fill('suppliers')
    await page.getByRole('link', { name: `${schema}.suppliers` }).waitFor()
    await page.getByLabel('Search the catalog').fill('customers')
    await page.getByRole('link', { name: 'main.customers' }).click()
    await page.getByRole('heading', { name: /main\.customers/ }).waitFor()

    // The emails are masked before anyone reviewed them; the date column is not a phone.
    const review = page.getByRole('region', { name: 'Proposed tags' })
    expect(await review.textContent()).toContain('email: PII.email masked until reviewed')
    expect(await review.textContent()).not.toContain('signup')
    await page.getByRole('tab', { name: 'Preview' }).click()
    await page.getByRole('button', { name: 'Show sample rows' }).click()
    const preview = page.getByTestId('preview')
    await preview.waitFor()
    expect(await preview.textContent()).toContain('j***@example.com')
    expect(await preview.textContent()).not.toContain('jane.doe@example.com')
    // The wide sample scrolls in its own box: the page itself does not get wider than the window.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true)

    // "Used by" names the notebook and links to it; the lineage node of leads links to its asset page.
    await page.getByRole('tab', { name: 'Usage' }).click()
    const usedBy = page.getByTestId('used-by')
    await expect.poll(() => usedBy.textContent()).toContain('Notebook Lead scoring — reads it ×1')
    expect(await usedBy.getByRole('link', { name: 'Lead scoring' }).getAttribute('href')).toBe(
      `/w/${workspaceId}/notebooks/${notebookId}`,
    )
    expect(await usedBy.textContent()).not.toContain(notebookId)
    await shot('asset')

    // Accept, then remove the tag: both are audited, and the column is in clear again.
    await page.getByRole('tab', { name: /^Schema/ }).click()
    await review.getByRole('button', { name: 'Accept' }).click()
    const remove = page.getByRole('button', { name: 'Remove PII.email from email' })
    await remove.waitFor()
    await shot('accepted')
    await remove.click()
    await remove.waitFor({ state: 'detached' })
    await page.getByRole('tab', { name: 'Preview' }).click()
    await page.getByRole('button', { name: 'Show sample rows' }).click()
    await expect.poll(() => preview.textContent()).toContain('jane.doe@example.com')
    const audit = await f.db
      .selectFrom('audit_events')
      .select('resource')
      .where('action', '=', 'catalog.tags.changed')
      .orderBy('occurred_at')
      .execute()
    expect(audit.map((a) => a.resource?.split(': ')[1])).toEqual([
      'email PII.email accepted',
      'email PII.email removed',
    ])

    await page.getByRole('tab', { name: 'Lineage' }).click()
    await page.getByRole('link', { name: 'Open main.leads' }).first().click()
    await page.getByRole('heading', { name: /main\.leads/ }).waitFor()
    await shot('lineage-link')
    expect(errors).toEqual([])
  }, 240_000)
})
