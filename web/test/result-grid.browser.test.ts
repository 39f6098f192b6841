import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWebApp, launchBrowser, SCREENSHOT_DIR, type TestBrowser } from '../../workbench/test/support/browser.ts'
import { type NotebookServer, startNotebookServer } from './support/notebook-server.ts'
import { gridCell, gridFilterInput, gridHeader, runSqlInNewNotebook, scrollGridTo } from './support/result-grid.ts'

const ROWS = 1_000_000
const SQL = `SELECT range AS n, range * 3 AS triple, md5(range::VARCHAR) AS h, CASE WHEN range % 5 = 0 THEN NULL ELSE range % 5 END AS m FROM range(${ROWS})`

/** Real Chromium scrolling a million-row result kept in the workspace DuckDB, compared with DuckDB itself. */
describe('result grid over a million rows', () => {
  let server: NotebookServer
  let chromium: TestBrowser
  let page: Page
  const pageErrors: string[] = []
  let reference: { rows(sql: string): Promise<string[][]>; close(): void }

  beforeAll(async () => {
    const webDist = buildWebApp('result-grid')
    ;[server, chromium] = await Promise.all([startNotebookServer(webDist, { catalog: true }), launchBrowser()])
    page = await (await chromium.browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage()
    page.on('pageerror', (err) => pageErrors.push(err.message))
    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    reference = {
      // As the grid shows them: DuckDB's own text of each value, NULL for NULL.
      rows: async (sql) =>
        (await connection.runAndReadAll(sql)).getRows().map((r) => r.map((v) => (v === null ? 'NULL' : String(v)))),
      close: () => connection.closeSync(),
    }
  }, 240_000)
  afterAll(async () => {
    reference?.close()
    await chromium?.close()
    await server?.dispose()
  })

  const rowText = async (grid: ReturnType<Page['locator']>, row: number) =>
    Promise.all([0, 1, 2, 3].map((c) => gridCell(grid, row, c).innerText()))

  it('scrolls to the end fetching pages on demand, and the last rows are what DuckDB computes', {
    timeout: 240_000,
  }, async () => {
    const grid = await runSqlInNewNotebook(page, server.url, SQL, 'million@example.com')
    await expect.poll(() => grid.getByTestId('grid-count').textContent()).toBe('1,000,000 rows')
    // Stats of the whole result in the header, not of the rows on screen.
    await expect.poll(() => grid.getByTestId('column-stats').first().textContent()).toContain('0–999999')
    // Numbers are right-aligned; NULL shown as such.
    expect(await gridCell(grid, 0, 0).getAttribute('class')).toContain('ag-right-aligned-cell')
    expect(await gridCell(grid, 0, 3).innerText()).toBe('NULL')
    // Through the middle, then to the end, as a user dragging the scrollbar would.
    for (const fraction of [0.25, 0.5, 0.75]) {
      await scrollGridTo(grid, fraction)
      await grid
        .locator('.ag-row-loading')
        .first()
        .waitFor({ state: 'detached', timeout: 30_000 })
        .catch(() => {})
    }
    await scrollGridTo(grid, 1)
    const last = gridCell(grid, ROWS - 1, 0)
    await expect.poll(() => last.innerText(), { timeout: 30_000 }).toBe(String(ROWS - 1))
    const expected = await reference.rows(`${SQL} OFFSET ${ROWS - 5}`)
    for (const [i, row] of expected.entries()) expect(await rowText(grid, ROWS - 5 + i)).toEqual(row)
    // Only pages around the viewport were fetched: the browser never held the result whole.
    const inDom = await grid.locator('.ag-center-cols-container .ag-row').count()
    expect(inDom).toBeLessThan(200)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'result-grid-end.png') })
    expect(pageErrors).toEqual([])
  })

  it('sorts and filters from the headers, on the server over the whole result', async () => {
    const grid = page.getByTestId('data-grid').first()
    await scrollGridTo(grid, 0)
    // Ascending, then descending: the first row is the largest n of all million.
    await gridHeader(grid, 0).click()
    await gridHeader(grid, 0).click()
    await expect.poll(() => gridCell(grid, 0, 0).innerText(), { timeout: 30_000 }).toBe(String(ROWS - 1))
    const top = await reference.rows(`${SQL} ORDER BY n DESC LIMIT 3`)
    for (const [i, row] of top.entries()) expect(await rowText(grid, i)).toEqual(row)
    // The number filter on `triple` (equals), typed into the header's filter row.
    await gridFilterInput(grid, 1).fill('2997')
    await expect.poll(() => grid.getByTestId('grid-count').textContent(), { timeout: 30_000 }).toBe('1 rows')
    expect(await rowText(grid, 0)).toEqual((await reference.rows(`${SQL} WHERE triple = 2997`))[0])
    await gridFilterInput(grid, 1).fill('')
    await expect.poll(() => grid.getByTestId('grid-count').textContent(), { timeout: 30_000 }).toBe('1,000,000 rows')
    // A text filter (contains) on the hash column.
    await gridFilterInput(grid, 2).fill('abcde')
    const [count] = (await reference.rows(`SELECT count(*) FROM (${SQL}) WHERE h ILIKE '%abcde%'`))[0] ?? []
    await expect
      .poll(() => grid.getByTestId('grid-count').textContent(), { timeout: 30_000 })
      .toBe(`${Number(count).toLocaleString('en-US')} rows`)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'result-grid-filtered.png') })
    expect(pageErrors).toEqual([])
  })
})
