import type { Locator, Page } from 'playwright-core'

const PASSWORD = 'grid password 1234'

/**
 * Signs a new account up through the app, creates a workspace and a notebook, runs `sql` in a SQL cell and
 * returns the cell's result grid once its rows are on screen. Shared by the grid's browser test and `bench/web`.
 */
export async function runSqlInNewNotebook(page: Page, url: string, sql: string, email: string): Promise<Locator> {
  await page.goto(url)
  await page.getByLabel('Name').fill('Grid')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password (at least 12 characters)').fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByLabel('New workspace name').fill('Grid')
  await page.getByRole('button', { name: 'Create workspace' }).click()
  await page.getByRole('heading', { name: /Grid/ }).waitFor()
  await page.getByRole('link', { name: 'Notebooks' }).click()
  await page.getByLabel('New notebook name').fill('Million rows')
  await page.getByRole('button', { name: 'Create notebook' }).click()
  await page.getByRole('button', { name: 'Add a SQL cell' }).click()
  const cell = page.getByTestId('cell').first()
  await cell.locator('.view-lines').click()
  await page.keyboard.press('Control+End')
  await page.keyboard.type(sql)
  await page.keyboard.press('Shift+Enter')
  const grid = cell.getByTestId('data-grid')
  await gridCell(grid, 0, 0).waitFor({ timeout: 120_000 })
  return grid
}

/** The grid's cell at a row index (of the whole result) and column index, once it is rendered. */
export function gridCell(grid: Locator, row: number, col: number): Locator {
  return grid.locator(`.ag-row[row-index="${row}"] .ag-cell[col-id="${col}"]`)
}

/** The header of column `col` (click: sort). */
export function gridHeader(grid: Locator, col: number): Locator {
  return grid.locator(`.ag-header-row-column .ag-header-cell[col-id="${col}"] .ag-header-cell-label`)
}

/** The header filter input of column `col`. */
export function gridFilterInput(grid: Locator, col: number): Locator {
  return grid.locator('.ag-header-row-filter .ag-header-cell').nth(col).locator('input:not([disabled])')
}

/** Scrolls the grid's body to `fraction` (0 top, 1 end) of its height, as a user dragging the scrollbar would. */
export async function scrollGridTo(grid: Locator, fraction: number): Promise<void> {
  await grid.locator('.ag-grid-viewport').evaluate((el, f) => {
    // This file is compiled without the DOM library; the element is a scrolling <div>.
    const box = el as unknown as { scrollTo(o: { top: number }): void; scrollHeight: number; clientHeight: number }
    box.scrollTo({ top: f * (box.scrollHeight - box.clientHeight) })
  }, fraction)
}
