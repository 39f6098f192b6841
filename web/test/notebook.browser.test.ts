import path from 'node:path'
import axe from 'axe-core'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWebApp, launchBrowser, SCREENSHOT_DIR, type TestBrowser } from '../../workbench/test/support/browser.ts'
import { connectClient } from '../../workbench/test/support/collab.ts'
import { type NotebookServer, startNotebookServer } from './support/notebook-server.ts'
import { pickTheme } from './support/shell.ts'

const _ROOT = path.resolve(import.meta.dirname, '../..')
const EMAIL = 'nora@example.com'
const PASSWORD = 'notebook password 1234'

/** Real Chromium against the real notebooks and collaboration API, serving a fresh build of the web app. */
describe('notebooks in the browser', () => {
  let server: NotebookServer
  let chromium: TestBrowser
  let alice: BrowserContext
  let bob: BrowserContext
  let page: Page
  let other: Page
  let workspaceId = ''
  let notebookUrl = ''
  const pageErrors: string[] = []

  beforeAll(async () => {
    const webDist = buildWebApp('notebook')
    server = await startNotebookServer(webDist, { history: true })
    chromium = await launchBrowser()
    alice = await chromium.browser.newContext({ viewport: { width: 1400, height: 900 } })
    bob = await chromium.browser.newContext({ viewport: { width: 1400, height: 900 } })
  })
  afterAll(async () => {
    await chromium?.close()
    await server?.dispose()
  })

  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(SCREENSHOT_DIR, `notebook-${name}.png`) })
  const editorOf = (p: Page, index: number) => p.getByTestId('cell').nth(index).locator('.monaco-editor .view-lines')
  const sourceOf = (p: Page, index: number) =>
    p
      .getByTestId('cell')
      .nth(index)
      .locator('.view-lines')
      .innerText()
      .then((t) => t.replace(/\u00a0/g, ' '))
  const watchErrors = (p: Page) =>
    p.on('pageerror', (err) => {
      console.log('page error', err.message, err.stack)
      pageErrors.push(err.message)
    })

  /** No serious or critical axe-core violations on what `p` shows now. */
  async function expectAccessible(p: Page, name: string) {
    await p.evaluate(axe.source)
    // Strings, because this file is compiled without the DOM library; they run in the page.
    const result = (await p.evaluate("window.axe.run(document, { resultTypes: ['violations'] })")) as axe.AxeResults
    const bad = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id}: ${v.help} (${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 3)
            .join(', ')})`,
      )
    expect(bad, `axe on ${name}`).toEqual([])
  }

  it('registers, creates a workspace and sees an empty notebooks list', async () => {
    page = await alice.newPage()
    watchErrors(page)
    await page.goto(server.url)
    await page.getByLabel('Name').fill('Nora Notebook')
    await page.getByLabel('Email').fill(EMAIL)
    await page.getByLabel('Password (at least 12 characters)').fill(PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByTestId('signed-in-as').waitFor()
    await page.getByRole('button', { name: 'New workspace', exact: true }).click()
    await page.getByLabel('New workspace name').fill('Analytics')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByRole('heading', { name: /Analytics/ }).waitFor()
    workspaceId = /\/w\/([^/?#]+)/.exec(new URL(page.url()).pathname)?.[1] ?? ''
    await page.getByRole('link', { name: 'Notebooks' }).click()
    await page.getByText('No notebooks here yet.').waitFor()
    await expectAccessible(page, 'notebooks list')
    await shot(page, 'empty-list')
  })

  it('creates a notebook and edits a cell', async () => {
    await page.getByLabel('New notebook name').fill('Revenue')
    await page.getByRole('button', { name: 'Create notebook' }).click()
    await page.getByText('This notebook has no cells yet.').waitFor()
    notebookUrl = page.url()
    await page.getByRole('button', { name: 'Add a Python cell' }).click()
    await editorOf(page, 0).waitFor()
    await page.keyboard.type('total = 40 + 2')
    await expect.poll(() => sourceOf(page, 0)).toContain('total = 40 + 2')
    await expect.poll(() => page.getByTestId('sync-state').textContent()).toBe('Saved')
    await expectAccessible(page, 'notebook editor')
  })

  it('a second browser sees edits and the cursor of the first, live', async () => {
    other = await bob.newPage()
    watchErrors(other)
    await other.goto(server.url)
    await other.getByLabel('Email').fill(EMAIL)
    await other.getByLabel('Password').fill(PASSWORD)
    await other.getByRole('button', { name: 'Sign in' }).click()
    await other.getByTestId('signed-in-as').waitFor()
    await other.goto(notebookUrl)
    await expect.poll(() => sourceOf(other, 0)).toContain('total = 40 + 2')
    await editorOf(page, 0).click()
    await page.keyboard.press('End')
    await page.keyboard.type('\nprint(total)')
    await expect.poll(() => sourceOf(other, 0), { timeout: 10_000 }).toContain('print(total)')
    // The first user's caret, with their name, in the second user's editor.
    await other.locator('.yRemoteSelectionHead').first().waitFor({ timeout: 10_000 })
    expect(await other.getByTestId('collaborators').locator('.avatar').count()).toBeGreaterThan(0)
    await shot(other, 'second-browser')
  })

  it('renders markdown when not editing, sanitised', async () => {
    // Jupyter shortcuts: Esc to command mode, B inserts below, M makes it Markdown, Enter edits it.
    await editorOf(page, 0).click()
    await page.keyboard.press('Escape')
    await expect.poll(() => page.getByTestId('cells').getAttribute('data-mode')).toBe('command')
    await page.keyboard.press('b')
    await expect.poll(() => page.getByTestId('cell').count()).toBe(2)
    await page.keyboard.press('m')
    await expect.poll(() => page.getByTestId('cell').nth(1).getAttribute('data-kind')).toBe('markdown')
    await page.keyboard.press('Enter')
    await editorOf(page, 1).waitFor()
    await page.keyboard.type('# Quarterly revenue\n\nSome **bold** text <img src="x" onerror="window.__pwned=1">')
    await page.keyboard.press('Escape')
    const rendered = page.getByTestId('cell').nth(1).getByTestId('markdown-rendered')
    await rendered.getByRole('heading', { name: 'Quarterly revenue' }).waitFor()
    expect(await rendered.locator('strong').textContent()).toBe('bold')
    expect(await rendered.locator('img').getAttribute('onerror')).toBeNull()
    await other.getByTestId('cell').nth(1).getByRole('heading', { name: 'Quarterly revenue' }).waitFor()
    expect(await page.evaluate('window.__pwned')).toBeUndefined()
    await shot(page, 'markdown')
  })

  it('never runs scripts from outputs in the app origin', async () => {
    const token = await apiToken(page)
    const client = connectClient(
      `${server.url.replace('http', 'ws')}/api/workspaces/${workspaceId}/notebooks`,
      notebookId(),
      token,
    )
    await client.synced()
    client.notebook.ydoc.transact(() => {
      const cell = client.notebook.insertCell(client.notebook.cells.length, {
        cell_type: 'code',
        source: 'evil()',
        metadata: {},
      }) as unknown as { updateOutputs(start: number, end: number, outputs: unknown[]): void }
      cell.updateOutputs(0, 0, [
        {
          output_type: 'display_data',
          metadata: {},
          data: { 'text/html': '<script>parent.__pwned=2;window.top.__pwned=2</script><b>html out</b>' },
        },
        { output_type: 'display_data', metadata: {}, data: { 'text/html': '<img src=x onerror="parent.__pwned=3">' } },
        {
          output_type: 'display_data',
          metadata: {},
          data: {
            'image/svg+xml':
              '<svg xmlns="http://www.w3.org/2000/svg"><script>window.__pwned=4</script><image href="x" onerror="window.__pwned=5"/><circle r="4"/></svg>',
          },
        },
        {
          output_type: 'display_data',
          metadata: {},
          data: { 'text/markdown': '<img src=x onerror="window.__pwned=6"> *md*' },
        },
        { output_type: 'stream', name: 'stdout', text: '\u001b[31mred <script>window.__pwned=7</script>\u001b[0m' },
        {
          output_type: 'error',
          ename: 'ValueError',
          evalue: 'bad <img src=x onerror="window.__pwned=8">',
          traceback: ['\u001b[31mValueError\u001b[0m: bad'],
        },
      ])
    })
    for (const p of [page, other]) {
      const cell = p.getByTestId('cell').nth(2)
      await cell.getByTestId('html-output').first().waitFor({ timeout: 10_000 })
      expect(await cell.getByTestId('html-output').first().getAttribute('sandbox')).toBe('')
      await cell.getByTestId('error-output').waitFor()
      expect(await cell.locator('pre.ansi .ansi-red-fg').first().textContent()).toContain('red <script>')
      await p.waitForTimeout(500)
      expect(await p.evaluate('window.__pwned')).toBeUndefined()
      expect(await p.locator('.svg-output script, .svg-output [onerror]').count()).toBe(0)
    }
    await shot(page, 'outputs-xss')
    client.destroy()
  })

  it('shows kernel status and per-cell run state from the shared document to every collaborator', async () => {
    const client = await collaborator()
    const cellId = client.notebook.cells[0]?.id ?? ''
    const startedAt = Date.now()
    client.notebook.ydoc.transact(() => {
      client.notebook.ydoc.getMap('kernel').set('status', 'busy')
      client.notebook.ydoc
        .getMap('execution')
        .set(cellId, { state: 'running', queuedAt: startedAt, startedAt, by: 'someone' })
    })
    for (const p of [page, other]) {
      await p.locator('[data-testid="kernel-status"][data-status="busy"]').waitFor()
      await p.locator(`[data-cell-id="${cellId}"][data-run-state="running"]`).waitFor()
    }
    client.notebook.ydoc.transact(() => {
      client.notebook.ydoc.getMap('kernel').set('status', 'idle')
      client.notebook.ydoc.getMap('execution').set(cellId, {
        state: 'ok',
        queuedAt: startedAt,
        startedAt,
        finishedAt: startedAt + 1234,
        durationMs: 1234,
        by: 'someone',
      })
    })
    for (const p of [page, other]) {
      await p.locator('[data-testid="kernel-status"][data-status="idle"]').waitFor()
      const badge = p.locator(`[data-cell-id="${cellId}"]`).getByTestId('run-state')
      await expect.poll(() => badge.textContent()).toContain('1.2 s')
    }
    client.destroy()
  })

  it('SQL results: grid paging, sorting and filtering, and a chart saved to the cell', async () => {
    const client = await collaborator()
    const regions = ['north', 'south', 'east']
    const rows = Array.from({ length: 150 }, (_, i) => [regions[i % 3], (i * 7) % 150])
    client.notebook.ydoc.transact(() => {
      const cell = client.notebook.insertCell(client.notebook.cells.length, {
        id: 'sql-sales',
        cell_type: 'code',
        source: '%%sql sales <<\nSELECT region, amount FROM sales',
        metadata: { workbench: { type: 'sql', connection: 'duckdb', output: 'sales' } },
      }) as unknown as { updateOutputs(start: number, end: number, outputs: unknown[]): void }
      cell.updateOutputs(0, 0, [
        {
          output_type: 'execute_result',
          execution_count: 1,
          metadata: {},
          data: {
            'application/vnd.workbench.table+json': {
              columns: [
                { name: 'region', type: 'VARCHAR' },
                { name: 'amount', type: 'INTEGER' },
              ],
              rows,
              offset: 0,
              totalRows: 150,
            },
            'text/plain': '150 rows',
          },
        },
      ])
    })
    const cell = page.locator('[data-cell-id="sql-sales"]')
    await page.getByTestId('cells').evaluate('el => el.scrollTo(0, el.scrollHeight)')
    const grid = cell.getByTestId('data-grid')
    await grid.waitFor({ timeout: 10_000 })
    expect(await grid.getByTestId('grid-count').textContent()).toBe('150 rows')
    expect(await grid.getByTestId('grid-range').textContent()).toBe('1–100 of 150')
    await grid.getByRole('button', { name: 'Next' }).click()
    await expect.poll(() => grid.getByTestId('grid-range').textContent()).toBe('101–150 of 150')
    await grid.getByRole('button', { name: 'Previous' }).click()
    await grid.getByRole('button', { name: 'amount', exact: true }).click()
    await expect.poll(() => grid.getByTestId('grid-row').first().locator('td').nth(1).textContent()).toBe('0')
    await grid.getByRole('button', { name: /^amount/ }).click()
    await expect.poll(() => grid.getByTestId('grid-row').first().locator('td').nth(1).textContent()).toBe('149')
    await grid.getByLabel('Filter column').selectOption('region')
    await grid.getByLabel('Filter operator').selectOption('=')
    await grid.getByLabel('Filter value').fill('north')
    await grid.getByRole('button', { name: 'Filter' }).click()
    await expect.poll(() => grid.getByTestId('grid-count').textContent()).toBe('50 rows')
    await shot(page, 'grid')

    await grid.getByRole('button', { name: 'Chart' }).click()
    const builder = grid.getByTestId('chart-builder')
    await builder.getByLabel('Chart type').selectOption('bar')
    await builder.getByLabel('Chart X').selectOption('region')
    await builder.getByLabel('Chart Y').selectOption('amount')
    await builder.locator('svg').first().waitFor({ timeout: 15_000 })
    await builder.getByRole('button', { name: 'Save chart to cell' }).click()
    // Saved in the cell's metadata: the other collaborator sees the chart, drawn from all 150 rows it holds.
    const otherCell = other.locator('[data-cell-id="sql-sales"]')
    await other.getByTestId('cells').evaluate('el => el.scrollTo(0, el.scrollHeight)')
    await otherCell.getByTestId('cell-chart').locator('svg').first().waitFor({ timeout: 15_000 })
    expect(await otherCell.getByTestId('chart-coverage').textContent()).toBe('Computed over all 150 rows')
    await shot(other, 'chart')
    client.destroy()
  })

  it('underlines a SQL error where the kernel reports it', async () => {
    const client = await collaborator()
    client.notebook.ydoc.transact(() => {
      const cell = client.notebook.insertCell(client.notebook.cells.length, {
        id: 'sql-typo',
        cell_type: 'code',
        source: '%%sql\nSELECT * FORM sales',
        metadata: { workbench: { type: 'sql', connection: 'duckdb' } },
      }) as unknown as { updateOutputs(start: number, end: number, outputs: unknown[]): void }
      cell.updateOutputs(0, 0, [
        {
          output_type: 'error',
          ename: 'Parser Error',
          evalue: `syntax error at or near "FORM"\n\nLINE 1: SELECT * FORM sales\n${' '.repeat(17)}^`,
          traceback: [],
        },
      ])
    })
    await page.getByTestId('cells').evaluate('el => el.scrollTo(0, el.scrollHeight)')
    const cell = page.locator('[data-cell-id="sql-typo"]')
    await cell.getByTestId('error-output').waitFor({ timeout: 10_000 })
    await cell.locator('.squiggly-error').first().waitFor({ timeout: 10_000 })
    client.destroy()
  })

  it("autocompletes DuckDB keywords and the columns of the notebook's named results", async () => {
    const cell = page.locator('[data-cell-id="sql-typo"]')
    await cell.locator('.view-lines').click()
    await page.keyboard.press('Control+End')
    await page.keyboard.type('\nSELECT sales.')
    const suggestions = page.getByTestId('editor-popups').locator('.suggest-widget')
    await suggestions.getByText('amount').first().waitFor({ timeout: 10_000 })
    await page.keyboard.press('Escape')
    await page.keyboard.type(' ')
    await page.keyboard.type('SUMMAR')
    await page.keyboard.press('Control+Space')
    await suggestions.getByText('SUMMARIZE').first().waitFor({ timeout: 10_000 })
    await shot(page, 'autocomplete')
    await page.keyboard.press('Escape')
    await page.keyboard.press('Escape')
  })

  it('shows the shortcut help from command mode, next to the Versions and Comments panels', async () => {
    await page.getByTestId('cells').focus()
    await page.keyboard.press('Escape')
    await page.keyboard.press('h')
    await page.getByTestId('shortcut-help').getByText('Run the cell and select the next one').waitFor()
    // The server has the versions and comments endpoints (the panels hide only where they answer 404).
    expect(await page.getByRole('button', { name: 'Versions' }).count()).toBe(1)
    expect(await page.getByRole('button', { name: 'Comments' }).count()).toBe(1)
    await shot(page, 'shortcuts')
  })

  it('exports the notebook as .ipynb and imports it again', async () => {
    const exported = await page.request.get(
      `${server.url}/api/workspaces/${workspaceId}/notebooks/${notebookId()}/export`,
    )
    expect(exported.status()).toBe(200)
    const ipynb = (await exported.json()) as { cells: { source: string | string[] }[] }
    expect(ipynb.cells.map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source))[0]).toContain(
      'print(total)',
    )
    await page.goto(`${server.url}/#/w/${workspaceId}/notebooks`)
    await page.getByTestId('notebooks').waitFor()
    await page.getByLabel('Notebook files to import').setInputFiles({
      name: 'Revenue again.ipynb',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(ipynb)),
    })
    await page.getByTestId('notebooks').getByRole('link', { name: 'Revenue again' }).waitFor()
    // Dropping a file on the import zone works the same (a string: this file has no DOM types).
    await page.evaluate(`(() => {
      const transfer = new DataTransfer()
      transfer.items.add(new File([${JSON.stringify(JSON.stringify(ipynb))}], 'Dropped.ipynb', { type: 'application/json' }))
      const zone = document.querySelector('[data-testid="import-dropzone"]')
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }))
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }))
    })()`)
    await page.getByTestId('notebooks').getByRole('link', { name: 'Dropped' }).waitFor()
    expect(await page.getByRole('progressbar', { name: 'Uploading Dropped.ipynb' }).getAttribute('value')).toBe('1')
    await page.getByTestId('notebooks').getByRole('link', { name: 'Revenue again' }).click()
    await expect.poll(() => sourceOf(page, 0)).toContain('print(total)')
    await page.getByTestId('cell').nth(1).getByRole('heading', { name: 'Quarterly revenue' }).waitFor()
    await shot(page, 'imported')
  })

  it('renames, moves, duplicates, deletes and restores notebooks; the theme choice is remembered', async () => {
    await page.goto(`${server.url}/#/w/${workspaceId}/notebooks`)
    const table = page.getByTestId('notebooks')
    const row = table.locator('tr[data-name="Revenue again"]')
    await row.getByRole('button', { name: 'Rename' }).click()
    await row.getByLabel('New name').fill('Revenue copy')
    await row.getByLabel('New name').press('Enter')
    const renamed = table.locator('tr[data-name="Revenue copy"]')
    await renamed.getByRole('button', { name: 'Move' }).click()
    await renamed.getByLabel('Move to folder').fill('finance/2026')
    await renamed.getByLabel('Move to folder').press('Enter')
    // Moved out of the root folder it is listed in.
    await expect.poll(() => renamed.count()).toBe(0)
    await page.getByRole('navigation', { name: 'Folder' }).waitFor()
    await page
      .getByRole('list', { name: 'Folders' })
      .getByRole('link', { name: /finance/ })
      .click()
    await page.getByRole('list', { name: 'Folders' }).getByRole('link', { name: /2026/ }).click()
    await table.locator('tr[data-name="Revenue copy"]').getByRole('button', { name: 'Duplicate' }).click()
    await table.locator('tr[data-name="Revenue copy (copy)"]').waitFor()
    await table.locator('tr[data-name="Revenue copy (copy)"]').getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => table.locator('tr[data-name="Revenue copy (copy)"]').count()).toBe(0)
    await page.getByLabel('Recently deleted').check()
    await page
      .getByTestId('notebooks')
      .locator('tr[data-name="Revenue copy (copy)"]')
      .getByRole('button', { name: 'Restore' })
      .click()
    await page.getByLabel('Recently deleted').uncheck()
    await page.getByTestId('notebooks').locator('tr[data-name="Revenue copy (copy)"]').waitFor()
    await page.getByLabel('Search notebooks').fill('Revenue')
    await expect.poll(() => page.getByTestId('notebooks').locator('tbody tr').count()).toBeGreaterThanOrEqual(3)

    await pickTheme(page, 'Dark')
    await page.reload()
    await expect.poll(() => page.evaluate('document.documentElement.dataset.theme')).toBe('dark')
    await expectAccessible(page, 'notebooks list, dark')
    await shot(page, 'dark-list')
    await pickTheme(page, 'Light')
  }, 120_000)

  it('shows an offline banner, keeps local edits and syncs them once on reconnect', async () => {
    await page.goto(notebookUrl)
    await expect.poll(() => sourceOf(page, 0)).toContain('print(total)')
    // Everything the page loads lazily (editor languages) is in, so only the live connection is cut.
    await page.waitForLoadState('networkidle')
    await server.goDown()
    await page.getByTestId('offline-banner').waitFor({ timeout: 15_000 })
    await shot(page, 'offline')
    await editorOf(page, 0).click()
    await page.keyboard.press('Control+End')
    await page.keyboard.type('\n# typed offline')
    await server.comeBack()
    await page.getByTestId('offline-banner').waitFor({ state: 'detached', timeout: 30_000 })
    await expect.poll(() => sourceOf(other, 0), { timeout: 30_000 }).toContain('# typed offline')
    await other.waitForTimeout(1_000)
    expect((await sourceOf(other, 0)).split('# typed offline').length - 1).toBe(1)
    expect(await other.getByTestId('cell').count()).toBe(await page.getByTestId('cell').count())
  })

  it('splits, moves, merges, inserts and deletes cells from the keyboard', async () => {
    const id = await createNotebook(page, 'Shortcuts')
    await page.goto(`${server.url}/#/w/${workspaceId}/notebooks/${id}`)
    await page.getByRole('button', { name: 'Add a Python cell' }).click()
    await editorOf(page, 0).waitFor()
    await page.keyboard.type('a = 1\nb = 2')
    await page.keyboard.press('Home')
    await page.keyboard.press('Control+Shift+Minus')
    await expect.poll(() => page.getByTestId('cell').count()).toBe(2)
    await expect.poll(() => sourceOf(page, 1)).toBe('b = 2')
    expect(await sourceOf(page, 0)).toBe('a = 1')
    // The new cell is the one being edited once its editor has focus.
    await expect.poll(() => page.getByTestId('cell').nth(1).getAttribute('class')).toContain('editing')
    await expect
      .poll(() => page.evaluate('document.activeElement?.closest("[data-cell-id]")?.dataset.cellId'))
      .toBe(await page.getByTestId('cell').nth(1).getAttribute('data-cell-id'))
    await page.keyboard.press('Escape')
    await page.keyboard.press('Alt+ArrowUp')
    await expect.poll(() => sourceOf(page, 0)).toBe('b = 2')
    await page.keyboard.press('Shift+M')
    await expect.poll(() => page.getByTestId('cell').count()).toBe(1)
    await expect.poll(() => sourceOf(page, 0)).toBe('b = 2\na = 1')
    await page.keyboard.press('a')
    await expect.poll(() => page.getByTestId('cell').count()).toBe(2)
    await page.keyboard.press('d')
    await page.keyboard.press('d')
    await expect.poll(() => page.getByTestId('cell').count()).toBe(1)
    await page.keyboard.press('q')
    await expect.poll(() => page.getByTestId('cell').first().getAttribute('data-kind')).toBe('sql')
    await expect.poll(() => sourceOf(page, 0)).toBe('%%sql\nb = 2\na = 1')
    // Drag a cell by its handle onto another to move it there.
    await page.keyboard.press('b')
    await page.keyboard.press('m')
    await expect.poll(() => page.getByTestId('cell').nth(1).getAttribute('data-kind')).toBe('markdown')
    await page.getByTestId('cell').nth(1).locator('.drag-handle').dragTo(page.getByTestId('cell').nth(0))
    await expect.poll(() => page.getByTestId('cell').nth(0).getAttribute('data-kind')).toBe('markdown')
  })

  it('measures opening a 500-cell notebook (reported, not asserted)', async () => {
    const created = await createNotebook(page, 'Big')
    const token = await apiToken(page)
    const client = connectClient(
      `${server.url.replace('http', 'ws')}/api/workspaces/${workspaceId}/notebooks`,
      created,
      token,
    )
    await client.synced()
    client.notebook.insertCells(
      0,
      Array.from({ length: 500 }, (_, i) =>
        i % 3 === 0
          ? { cell_type: 'markdown', source: `## Section ${i}\nSome text`, metadata: {} }
          : { cell_type: 'code', source: `x_${i} = ${i}\nprint(x_${i})`, metadata: {} },
      ),
    )
    await new Promise((r) => setTimeout(r, 1_000))
    client.destroy()
    const started = Date.now()
    await page.goto(`${server.url}/#/w/${workspaceId}/notebooks/${created}`)
    await page
      .getByTestId('cell')
      .first()
      .locator('.monaco-editor, [data-testid="markdown-rendered"]')
      .first()
      .waitFor()
    await page.getByTestId('cells').focus()
    const interactive = Date.now() - started
    const mounted = await page.locator('.monaco-editor').count()
    console.log(`notebook-500-cells: interactive=${interactive}ms, monaco editors mounted=${mounted}`)
    expect(mounted).toBeLessThan(100)
  })

  it('had no uncaught errors in either page', () => {
    expect(pageErrors).toEqual([])
  })

  async function collaborator() {
    const client = connectClient(
      `${server.url.replace('http', 'ws')}/api/workspaces/${workspaceId}/notebooks`,
      notebookId(),
      await apiToken(page),
    )
    await client.synced()
    return client
  }

  async function createNotebook(p: Page, name: string): Promise<string> {
    return ((await postFromPage(p, `/api/workspaces/${workspaceId}/notebooks`, { name })) as { id: string }).id
  }

  function notebookId(): string {
    return decodeURIComponent(notebookUrl.split('/notebooks/')[1] ?? '')
  }
})

async function apiToken(page: Page): Promise<string> {
  const body = (await postFromPage(page, '/api/me/tokens', { name: `test ${Math.random()}`, scope: 'write' })) as {
    token: string
  }
  return body.token
}

/** A JSON POST with the page's own session (cookies and CSRF token); a string, as this file has no DOM types. */
async function postFromPage(page: Page, url: string, body: unknown): Promise<unknown> {
  const text = await page.evaluate(`(async () => {
    const csrf = document.cookie.match(/wb_csrf=([^;]+)/)?.[1] ?? ''
    const res = await fetch(${JSON.stringify(url)}, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: ${JSON.stringify(JSON.stringify(body))},
    })
    return await res.text()
  })()`)
  return JSON.parse(String(text))
}
