import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWebApp, launchBrowser, SCREENSHOT_DIR, type TestBrowser } from '../../workbench/test/support/browser.ts'
import { type NotebookServer, startNotebookServer } from './support/notebook-server.ts'

const _ROOT = path.resolve(import.meta.dirname, '../..')
const EMAIL = 'runner@example.com'
const PASSWORD = 'runner password 1234'

/**
 * Real Chromium against the real execution API (workspace DuckDB, Python kernels on a real Jupyter Server)
 * and the real versions and comments services, with a second browser context watching the same notebook.
 */
describe('running notebooks in the browser', () => {
  let server: NotebookServer
  let chromium: TestBrowser
  let page: Page
  let other: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    const webDist = buildWebApp('notebook-exec')
    ;[server, chromium] = await Promise.all([
      startNotebookServer(webDist, { kernels: true, history: true }),
      launchBrowser(),
    ])
    page = await (await chromium.browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage()
    page.on('pageerror', (err) => pageErrors.push(err.message))
  }, 180_000)
  afterAll(async () => {
    await chromium?.close()
    await server?.dispose()
  })

  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(SCREENSHOT_DIR, `notebook-exec-${name}.png`) })
  const cell = (i: number, p = page) => p.getByTestId('cell').nth(i)
  const sourceOf = (p: Page, index: number) =>
    cell(index, p)
      .locator('.view-lines')
      .innerText()
      .then((t) => t.replace(/\u00a0/g, ' '))
  const runStateOf = (p: Page, index: number) => cell(index, p).getAttribute('data-run-state')

  it('runs a SQL cell over a generated table, pages and sorts the grid, and charts it', async () => {
    await page.goto(server.url)
    await page.getByLabel('Name').fill('Runner')
    await page.getByLabel('Email').fill(EMAIL)
    await page.getByLabel('Password (at least 12 characters)').fill(PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('button', { name: 'New workspace', exact: true }).click()
    await page.getByLabel('New workspace name').fill('Exec')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByRole('heading', { name: /Exec/ }).waitFor()
    await page.getByRole('link', { name: 'Notebooks' }).click()
    await page.getByLabel('New notebook name').fill('Run me')
    await page.getByRole('button', { name: 'Create notebook' }).click()
    await page.getByRole('button', { name: 'Add a SQL cell' }).click()
    await cell(0).locator('.view-lines').click()
    await page.keyboard.press('Control+End')
    await page.keyboard.type('SELECT range AS n, range % 7 AS bucket FROM range(5000)')
    await cell(0).getByLabel('Save result as (Python variable)').fill('df')
    await cell(0).locator('.view-lines').click()
    await page.keyboard.press('Shift+Enter')
    const grid = cell(0).getByTestId('data-grid')
    await grid.waitFor({ timeout: 90_000 })
    await expect.poll(() => grid.getByTestId('grid-count').textContent()).toBe('5,000 rows')
    await grid.getByRole('button', { name: 'Next' }).click()
    await expect.poll(() => grid.getByTestId('grid-range').textContent()).toBe('101–200 of 5,000')
    await expect.poll(() => grid.getByTestId('grid-row').first().locator('td').first().textContent()).toBe('100')
    // More rows than the first page the output carries (1,000): pages and sorting come from the server,
    // over the whole result.
    await grid.getByRole('button', { name: 'n', exact: true }).click()
    await grid.getByRole('button', { name: /^n/ }).first().click()
    await expect.poll(() => grid.getByTestId('grid-row').first().locator('td').first().textContent()).toBe('4999')
    await grid.getByRole('button', { name: 'Chart' }).click()
    await grid.getByLabel('Chart type').selectOption('histogram')
    await grid.getByLabel('Chart X').selectOption('bucket')
    // Computed by the server over all 5,000 rows (not the 100 on screen), and said so.
    const preview = grid.getByTestId('chart-preview')
    await expect
      .poll(() => preview.getByTestId('chart-coverage').textContent(), { timeout: 15_000 })
      .toBe('Computed over all 5,000 rows')
    await grid.getByRole('button', { name: 'Save chart to cell' }).click()
    const saved = cell(0).getByTestId('cell-chart')
    await saved.locator('svg .mark-rect path').first().waitFor({ timeout: 15_000 })
    // bucket 0–6 is seven wide bands, not hair-thin bars on a continuous axis.
    const bars = saved.locator('svg .mark-rect path')
    await shot(page, 'grid')
    expect(await bars.count()).toBe(7)
    // A string, because this file is compiled without the DOM library; it runs in the page.
    const widths = (await page.evaluate(
      `[...document.querySelectorAll('[data-testid="cell-chart"] svg .mark-rect path')].map((p) => p.getBBox().width)`,
    )) as number[]
    expect(widths).toHaveLength(7)
    expect(Math.min(...widths)).toBeGreaterThan(30)
    // The chart is part of the cell: running it again (in place) redraws it from the new result.
    await cell(0).locator('.view-lines').click()
    await page.keyboard.press('Control+Enter')
    await expect.poll(() => runStateOf(page, 0), { timeout: 60_000 }).toBe('ok')
    await saved.locator('svg .mark-rect path').first().waitFor({ timeout: 15_000 })
    expect(await saved.getByTestId('chart-coverage').textContent()).toBe('Computed over all 5,000 rows')
    await shot(page, 'chart-after-rerun')
  }, 180_000)

  it('uses the SQL result as a DataFrame in a Python cell', async () => {
    await page.getByTestId('cells').focus()
    await page.keyboard.press('Escape')
    await page.keyboard.press('b')
    await page.keyboard.press('y')
    await page.keyboard.press('Enter')
    await page.keyboard.type('print(type(df).__name__, len(df))')
    await page.keyboard.press('Shift+Enter')
    await expect
      .poll(() => cell(1).locator('pre.ansi').first().textContent(), { timeout: 90_000 })
      .toContain('DataFrame 5000')
    await expect.poll(() => runStateOf(page, 1)).toBe('ok')
    expect(await page.getByTestId('kernel-status').getAttribute('data-status')).toMatch(/idle|busy/)
    await shot(page, 'python')
  }, 180_000)

  it('runs all, and a second browser sees each cell’s run state', async () => {
    const context = await chromium.browser.newContext({ viewport: { width: 1400, height: 900 } })
    other = await context.newPage()
    other.on('pageerror', (err) => pageErrors.push(err.message))
    await other.goto(server.url)
    await other.getByLabel('Email').fill(EMAIL)
    await other.getByLabel('Password').fill(PASSWORD)
    await other.getByRole('button', { name: 'Sign in' }).click()
    await other.getByTestId('signed-in-as').waitFor()
    await other.goto(page.url())
    await expect.poll(() => sourceOf(other, 1), { timeout: 20_000 }).toContain('print(type(df)')
    // A third cell that takes a moment, so the second browser sees it running.
    await page.getByTestId('cells').focus()
    await page.keyboard.press('Escape')
    await cell(1).click({ position: { x: 5, y: 5 } })
    await page.keyboard.press('Escape')
    await page.keyboard.press('b')
    await page.keyboard.press('Enter')
    await page.keyboard.type('import time; time.sleep(2); print("slept", df["bucket"].max())')
    await page.keyboard.press('Escape')
    await expect.poll(() => sourceOf(other, 2), { timeout: 20_000 }).toContain('time.sleep(2)')
    await page.getByRole('button', { name: 'Run all' }).click()
    await expect.poll(() => runStateOf(other, 2), { timeout: 60_000 }).toBe('running')
    expect(await runStateOf(other, 0)).toBe('ok')
    await shot(other, 'run-all-second-browser')
    await expect.poll(() => runStateOf(other, 2), { timeout: 60_000 }).toBe('ok')
    for (const i of [0, 1, 2]) expect(await runStateOf(other, i)).toBe('ok')
    await expect
      .poll(() => cell(2, other).locator('pre.ansi').first().textContent(), { timeout: 10_000 })
      .toContain('slept 6')
    await other.locator('[data-testid="kernel-status"][data-status="idle"]').waitFor({ timeout: 30_000 })
  }, 180_000)

  it('restores an older version from the Versions panel, and both browsers see it', async () => {
    await page.getByRole('button', { name: 'Versions' }).click()
    const panel = page.getByTestId('versions-panel')
    await panel.getByLabel('Version name').fill('three cells')
    await panel.getByRole('button', { name: 'Save version' }).click()
    await panel.getByText('three cells').waitFor()
    // Delete the sleeping cell, then bring it back from the named version. (Shift+Enter on the last cell
    // added an empty one below it, as in Jupyter, so there are more than three cells.)
    const count = await page.getByTestId('cell').count()
    await cell(2).getByRole('button', { name: 'Delete cell' }).click()
    await expect.poll(() => other.getByTestId('cell').count(), { timeout: 20_000 }).toBe(count - 1)
    expect(await sourceOf(other, 2)).not.toContain('time.sleep(2)')
    const item = panel.locator('li', { hasText: 'three cells' })
    await item.getByRole('button', { name: 'Restore' }).click()
    for (const p of [page, other]) {
      await expect.poll(() => p.getByTestId('cell').count(), { timeout: 20_000 }).toBe(count)
      await expect.poll(() => sourceOf(p, 2), { timeout: 20_000 }).toContain('time.sleep(2)')
    }
    // The state it replaced is kept as a version too.
    await panel.getByText('Before restoring three cells').waitFor({ timeout: 10_000 })
    await shot(page, 'versions')
  }, 120_000)

  it('starts a comment thread on a cell and resolves it from the Comments panel, live in both browsers', async () => {
    // The second browser has its panel open already: threads appear and go as the first one acts.
    await other.getByRole('button', { name: 'Comments' }).click()
    const otherThread = other.getByTestId('comments-panel').getByTestId('comment-thread')
    await cell(0).click({ position: { x: 5, y: 5 } })
    await page.getByRole('button', { name: 'Comments' }).click()
    const panel = page.getByTestId('comments-panel')
    await panel.getByLabel('Comment on the selected cell').fill('Should this be 7 buckets?')
    await panel.getByRole('button', { name: 'Comment', exact: true }).click()
    const thread = panel.getByTestId('comment-thread')
    await thread.getByText('Should this be 7 buckets?').waitFor()
    expect(await thread.locator('small').first().textContent()).toBe('cell 1')
    await thread.getByLabel('Reply').fill('Yes, one per weekday.')
    await thread.getByRole('button', { name: 'Reply' }).click()
    await thread.getByText('Yes, one per weekday.').waitFor()
    await otherThread.getByText('Yes, one per weekday.').waitFor({ timeout: 10_000 })
    await shot(page, 'comments')
    await thread.getByRole('button', { name: 'Resolve' }).click()
    await expect.poll(() => thread.count()).toBe(0)
    await expect.poll(() => otherThread.count(), { timeout: 10_000 }).toBe(0)
    await panel.getByLabel('Show resolved').check()
    await expect.poll(() => thread.getAttribute('class')).toContain('resolved')
    expect(pageErrors).toEqual([])
  }, 60_000)
})
