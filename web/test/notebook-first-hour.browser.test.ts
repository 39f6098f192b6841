import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWebApp, launchBrowser, SCREENSHOT_DIR, type TestBrowser } from '../../workbench/test/support/browser.ts'
import { type NotebookServer, startNotebookServer } from './support/notebook-server.ts'

const EMAIL = 'first-hour@example.com'
const PASSWORD = 'first hour password 1234'

/**
 * The first hour of a new user (issue "The first hour"): real Chromium against the real execution API
 * (workspace DuckDB, Python on a real Jupyter Server). Each step is one a new user hit.
 */
describe('the first hour in the notebook editor', () => {
  let server: NotebookServer
  let chromium: TestBrowser
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    const webDist = buildWebApp('notebook-first-hour')
    ;[server, chromium] = await Promise.all([
      startNotebookServer(webDist, { kernels: true, catalog: true }),
      launchBrowser(),
    ])
    page = await (await chromium.browser.newContext({ viewport: { width: 1300, height: 800 } })).newPage()
    page.on('pageerror', (err) => pageErrors.push(err.message))
  }, 180_000)
  afterAll(async () => {
    await chromium?.close()
    await server?.dispose()
  })

  const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOT_DIR, `notebook-first-hour-${name}.png`) })
  const cell = (i: number) => page.getByTestId('cell').nth(i)
  const sourceOf = (i: number) =>
    cell(i)
      .locator('.view-lines')
      .innerText()
      .then((t) => t.replace(/\u00a0/g, ' '))
  // Editor popups live in one host outside the cells (they would be clipped inside the scrolled list).
  const suggestions = (_cell: number) => page.getByTestId('editor-popups').locator('.suggest-widget.visible')
  const toCommandMode = async () => {
    await page.getByTestId('cells').focus()
    await page.keyboard.press('Escape')
  }

  it('a new SQL cell takes typing below its %%sql line; Enter after a suggestion is a new line', async () => {
    await page.goto(server.url)
    await page.getByLabel('Name').fill('First Hour')
    await page.getByLabel('Email').fill(EMAIL)
    await page.getByLabel('Password (at least 12 characters)').fill(PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('button', { name: 'New workspace', exact: true }).click()
    await page.getByLabel('New workspace name').fill('Hour')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByRole('heading', { name: /Hour/ }).waitFor()
    await page.getByRole('link', { name: 'Notebooks' }).click()
    await page.getByLabel('New notebook name').fill('First')
    await page.getByRole('button', { name: 'Create notebook' }).click()
    await page.getByRole('button', { name: 'Add a SQL cell' }).click()
    await cell(0).locator('.monaco-editor').waitFor()
    // No click, no Ctrl+End: the caret is where the query goes.
    await page.keyboard.type('SELECT * FROM range(3) r')
    // The popup is open (`radians`, `range`, ...) when Enter is pressed: Enter still means a new line.
    await suggestions(0).waitFor({ timeout: 10_000 })
    await page.keyboard.press('Enter')
    await page.keyboard.type('LIMIT 2')
    await expect.poll(() => sourceOf(0)).toBe('%%sql\nSELECT * FROM range(3) r\nLIMIT 2')
    // Arrowing through the popup picks an entry, and then Enter accepts it.
    await page.keyboard.type(' OFFSE')
    await suggestions(0).getByText('OFFSET').first().waitFor({ timeout: 10_000 })
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    await expect.poll(() => sourceOf(0)).toBe('%%sql\nSELECT * FROM range(3) r\nLIMIT 2 OFFSET')
    // Tab accepts the entry the popup shows.
    await page.keyboard.type(' 1;\nSELECT sqr')
    await suggestions(0).getByText('sqrt').first().waitFor({ timeout: 10_000 })
    await page.keyboard.press('Tab')
    await expect.poll(() => sourceOf(0)).toContain('SELECT sqrt(')
    // The magic line is never completed into a binding (`%%sql df` would re-bind a DataFrame).
    await page.keyboard.press('Control+Home')
    await page.keyboard.press('End')
    await page.keyboard.type(' ')
    await page.keyboard.press('Control+Space')
    await suggestions(0).getByText('No suggestions.').waitFor({ timeout: 10_000 })
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await expect.poll(async () => (await sourceOf(0)).split('\n')[0]?.trim()).toBe('%%sql')
    await shot('sql-enter')
  }, 180_000)

  it('a CTAS cell says what it created; stats count distinct values exactly; internal tables are never offered', async () => {
    await cell(0).locator('.view-lines').click()
    await page.keyboard.press('Control+A')
    await page.keyboard.type(
      '%%sql\nCREATE TABLE orders AS SELECT range AS id, range % 7 AS bucket FROM range(5000);\nSELECT * FROM orders',
    )
    await page.keyboard.press('Shift+Enter')
    const grid = cell(0).getByTestId('data-grid')
    await grid.waitFor({ timeout: 90_000 })
    await expect
      .poll(() => cell(0).locator('pre.ansi').first().textContent())
      .toBe('Created table orders, 5,000 rows\n')
    // 5,000 rows of 5,000 ids: an estimate once said 5,618.
    await expect.poll(() => grid.locator('.col-stats').first().textContent()).toContain('5,000 distinct')
    expect(await grid.locator('.col-stats').nth(1).textContent()).toContain('· 7 distinct')
    expect(await grid.locator('.col-stats').first().textContent()).not.toContain('≈')
    await shot('ctas-stats')
    // Shift+Enter on the last cell added a new (SQL) cell. The workspace tables are read when the notebook
    // opens with a session: open it again, so `orders` is known for sure.
    await page.reload()
    await cell(1).locator('.view-lines').click()
    await page.keyboard.press('Control+End')
    await page.keyboard.type('SELECT * FROM ord')
    await page.keyboard.press('Control+Space')
    await suggestions(1).getByText('orders').first().waitFor({ timeout: 20_000 })
    await page.keyboard.press('Escape')
    // ...but not the temp tables that keep results (`__workbench_result_…`).
    await page.keyboard.type(' , __work')
    await page.keyboard.press('Control+Space')
    await suggestions(1).getByText('No suggestions.').waitFor({ timeout: 10_000 })
    await page.keyboard.press('Escape')
  }, 180_000)

  it('marks a binder error on the line and column DuckDB names, and prints the message once', async () => {
    await page.keyboard.press('Control+A')
    await page.keyboard.type('%%sql\nSELECT\n  customer_name FROM orders')
    await page.keyboard.press('Control+Enter')
    const error = cell(1).getByTestId('error-output')
    await error.waitFor({ timeout: 60_000 })
    // Lines of the cell as shown: the magic line is line 1.
    expect(await error.textContent()).toContain('(line 3, column 3)')
    expect((await error.textContent())?.split('Referenced column "customer_name"').length).toBe(2)
    // The squiggle sits under customer_name (editor line 3, after the magic line), not past the end.
    const squiggle = cell(1).locator('.squiggly-error').first()
    await squiggle.waitFor({ timeout: 10_000 })
    const word = cell(1).locator('.view-line', { hasText: 'customer_name' })
    const [s, w] = [await squiggle.boundingBox(), await word.boundingBox()]
    expect(s && w && Math.abs(s.y - w.y) < 4).toBe(true)
    expect(s && w && s.x > w.x && s.x + s.width <= w.x + w.width).toBe(true)
    await shot('binder-error')
  }, 120_000)

  it('completes Python from the kernel with Tab and shows its documentation with Shift+Tab', async () => {
    await toCommandMode()
    await page.keyboard.press('b')
    await page.keyboard.press('y')
    await page.keyboard.press('Enter')
    await page.keyboard.type('import math\nanswer_value = 41')
    await page.keyboard.press('Alt+Enter')
    await expect.poll(() => cell(2).getAttribute('data-run-state'), { timeout: 90_000 }).toBe('ok')
    await cell(3).locator('.monaco-editor').waitFor()
    // Tab at the start of a line indents, as always.
    await page.keyboard.press('Tab')
    await page.keyboard.type('answer_va')
    await page.keyboard.press('Tab')
    await suggestions(3).getByText('answer_value').first().waitFor({ timeout: 20_000 })
    await page.keyboard.press('Tab')
    // A dot asks the kernel at once (as Tab would).
    await page.keyboard.type(' + math.facto')
    await suggestions(3).getByText('factorial').first().waitFor({ timeout: 20_000 })
    await shot('python-complete')
    await page.keyboard.press('Tab')
    await expect.poll(() => sourceOf(3)).toBe('    answer_value + math.factorial')
    await page.keyboard.press('Shift+Tab')
    const hover = page.locator('.monaco-hover:not(.hidden)')
    await hover
      .getByText(/factorial/)
      .first()
      .waitFor({ timeout: 20_000 })
    await shot('python-inspect')
    await page.keyboard.press('Escape')
  }, 180_000)

  it('scrolls a long output in its own box, and keeps the caret in view when typing at the bottom', async () => {
    await cell(3).locator('.view-lines').click()
    await page.keyboard.press('Control+A')
    await page.keyboard.type('for i in range(200000):\nprint(i)')
    await page.keyboard.press('Control+Enter')
    const outputs = cell(3).getByTestId('outputs')
    await expect.poll(() => outputs.getAttribute('data-scrolled'), { timeout: 90_000 }).toBe('true')
    const box = await outputs.boundingBox()
    expect(box && box.height < 500).toBe(true)
    await shot('long-output')
    await toCommandMode()
    await page.keyboard.press('b')
    await page.keyboard.press('Enter')
    for (let i = 0; i < 60; i++) await page.keyboard.type(`line_${i} = ${i}\n`)
    const caretInView = `(() => {
      const caret = document.activeElement.closest('.monaco-editor').querySelector('.cursors-layer .cursor')
      const box = caret.getBoundingClientRect()
      const view = document.querySelector('[data-testid="cells"]').getBoundingClientRect()
      return box.top >= view.top && box.bottom <= view.bottom
    })()`
    await expect.poll(() => page.evaluate(caretInView)).toBe(true)
    await shot('typing-at-bottom')
  }, 180_000)

  it('undoes a cell deletion with Z, and interrupts and restarts with I,I and 0,0 listed in the help', async () => {
    await toCommandMode()
    // Cells are virtualised (only those on screen are in the page): find them by their text.
    const defs = page.locator('[data-testid="cell"]', { hasText: 'answer_value = 41' })
    await page.getByTestId('cells').evaluate('el => el.scrollTo(0, 0)')
    await defs.click({ position: { x: 5, y: 5 } })
    await expect.poll(() => page.getByTestId('cells').getAttribute('data-mode')).toBe('command')
    const id = await defs.getAttribute('data-cell-id')
    await page.keyboard.press('d')
    await page.keyboard.press('d')
    await expect.poll(() => defs.count()).toBe(0)
    await page.keyboard.press('z')
    await expect.poll(() => defs.count()).toBe(1)
    expect(await defs.getAttribute('data-cell-id')).toBe(id)
    // I,I interrupts the running cell.
    await page.keyboard.press('b')
    await page.keyboard.press('y')
    await page.keyboard.press('Enter')
    await page.keyboard.type('import time\ntime.sleep(60)')
    await page.keyboard.press('Control+Enter')
    const sleeper = page.locator('[data-testid="cell"]', { hasText: 'time.sleep(60)' })
    await expect.poll(() => sleeper.getAttribute('data-run-state'), { timeout: 60_000 }).toBe('running')
    await page.keyboard.press('i')
    await page.keyboard.press('i')
    await expect.poll(() => sleeper.getAttribute('data-run-state'), { timeout: 30_000 }).toMatch(/interrupted|error/)
    await expect.poll(() => sleeper.getByTestId('error-output').textContent()).toContain('KeyboardInterrupt')
    // 0,0 restarts, after a confirmation.
    let asked = ''
    page.once('dialog', (dialog) => {
      asked = dialog.message()
      void dialog.accept()
    })
    await page.keyboard.press('0')
    await page.keyboard.press('0')
    await page.getByText('Kernel restarted').waitFor({ timeout: 60_000 })
    expect(asked).toContain('Restart the kernel')
    await page.keyboard.press('h')
    const help = page.getByTestId('shortcut-help')
    await help.getByText('Interrupt the kernel').waitFor()
    await help.getByText('Restart the kernel (asks first)').waitFor()
    await help.getByText('Undo the last cell deletion').waitFor()
    await shot('shortcuts')
    expect(pageErrors).toEqual([])
  }, 180_000)
})
