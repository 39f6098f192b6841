import path from 'node:path'
import { setTags } from '@workbench/catalog'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWebApp, launchBrowser, SCREENSHOT_DIR, type TestBrowser } from '../../workbench/test/support/browser.ts'
import { type NotebookServer, startNotebookServer } from './support/notebook-server.ts'

const _ROOT = path.resolve(import.meta.dirname, '../..')

/**
 * Real Chromium against the real catalog, collaboration and SQL execution (workspace DuckDB): open an asset in an
 * existing notebook, run the added cell, see the PII-tagged column masked in the grid, and reveal it as the owner.
 */
describe('catalog asset to notebook in the browser', () => {
  let server: NotebookServer
  let chromium: TestBrowser
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    const webDist = buildWebApp('catalog-notebook')
    ;[server, chromium] = await Promise.all([startNotebookServer(webDist, { catalog: true }), launchBrowser()])
    page = await (await chromium.browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage()
    page.on('pageerror', (err) => pageErrors.push(err.message))
  }, 240_000)
  afterAll(async () => {
    await chromium?.close()
    await server?.dispose()
  })

  it('adds a SQL cell to a chosen notebook, whose result grid marks and masks the tagged email', async () => {
    await page.goto(server.url)
    await page.getByLabel('Name').fill('Owner')
    await page.getByLabel('Email').fill('owner@example.com')
    await page.getByLabel('Password (at least 12 characters)').fill('owner password 1234')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('button', { name: 'New workspace', exact: true }).click()
    await page.getByLabel('New workspace name').fill('Sales')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByRole('heading', { name: /Sales/ }).waitFor()
    const workspaceId = new URL(page.url()).pathname.split('/')[2] ?? ''
    await page.getByRole('link', { name: 'Notebooks' }).click()
    await page.getByLabel('New notebook name').fill('Analysis')
    await page.getByRole('button', { name: 'Create notebook' }).click()
    await page.getByRole('button', { name: 'Add a SQL cell' }).waitFor()

    // The workspace DuckDB has customers; the catalog knows them and the email column is tagged.
    const duckdb = await server.workspaceDuckdb?.(workspaceId)
    const catalog = server.catalog
    if (!duckdb || !catalog) throw new Error('the server has no catalog')
    await duckdb.query('CREATE TABLE customers (id INTEGER, email VARCHAR, city VARCHAR)')
    await duckdb.query(
      "INSERT INTO customers VALUES (1, 'jane.doe@example.com', 'Lyon'), (2, 'bob@example.org', 'Nantes')",
    )
    await catalog.startDiscovery(workspaceId, await catalog.workspaceSource(workspaceId), null)
    await catalog.idle()
    const customers = await catalog.db
      .selectFrom('catalog_assets')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', 'customers')
      .executeTakeFirstOrThrow()
    await setTags(catalog.db, customers.id, [{ column: 'email', tag: 'PII.email', status: 'accepted' }], null)

    await page.goto(`${server.url}/#/w/${workspaceId}/catalog`)
    await page.getByLabel('Search the catalog').fill('customers')
    await page.getByRole('link', { name: 'main.customers' }).click()
    await page.getByRole('heading', { name: /main\.customers/ }).waitFor()
    await page.getByRole('button', { name: 'Open in notebook' }).click()
    await page.getByLabel('Add to notebook').selectOption({ label: 'Analysis' })
    await page.getByRole('button', { name: 'Add SQL cell' }).click()

    // The notebook opens with the cell at its end.
    const cell = page.getByTestId('cell').first()
    await expect
      .poll(
        () =>
          cell
            .locator('.view-lines')
            .innerText()
            .then((t) => t.replace(/\u00a0/g, ' ')),
        { timeout: 20_000 },
      )
      .toContain('SELECT * FROM "main"."customers" LIMIT 100')
    expect(await page.getByTestId('cell').count()).toBe(1)
    await cell.locator('.view-lines').click()
    await page.keyboard.press('Shift+Enter')
    const grid = cell.getByTestId('data-grid')
    await grid.waitFor({ timeout: 60_000 })
    await expect.poll(() => grid.getByTestId('masked-column').count()).toBe(1)
    expect(await grid.getByTestId('grid-masked').textContent()).toContain('Masked: email')
    const text = await grid.textContent()
    expect(text).toContain('j***@example.com')
    expect(text).not.toContain('jane.doe@example.com')
    expect(text).toContain('Lyon')
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'catalog-notebook-masked.png') })

    // The owner may reveal: values come from the paging API, and the read is audited.
    await grid.getByRole('button', { name: 'Reveal' }).click()
    await expect.poll(() => grid.textContent(), { timeout: 15_000 }).toContain('jane.doe@example.com')
    expect(await grid.getByTestId('grid-revealed').count()).toBe(1)
    const audit = await server.database.db
      .selectFrom('audit_events')
      .select(['action', 'workspace_id'])
      .where('action', '=', 'kernels.results.unmasked')
      .execute()
    expect(audit).toEqual([{ action: 'kernels.results.unmasked', workspace_id: workspaceId }])
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'catalog-notebook-revealed.png') })
    expect(pageErrors).toEqual([])
  }, 240_000)
})
