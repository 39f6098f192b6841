import { mkdirSync } from 'node:fs'
import path from 'node:path'
import axe from 'axe-core'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, SCREENSHOT_DIR, type TestBrowser } from '../../workbench/test/support/browser.ts'
import { connectClient } from '../../workbench/test/support/collab.ts'
import { buildWeb, type NotebookServer, startNotebookServer } from './support/notebook-server.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const WEB_DIST = path.join(ROOT, 'test-results', 'notebook-web-dist')
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
    buildWeb(WEB_DIST)
    server = await startNotebookServer(WEB_DIST)
    chromium = await launchBrowser()
    alice = await chromium.browser.newContext({ viewport: { width: 1400, height: 900 } })
    bob = await chromium.browser.newContext({ viewport: { width: 1400, height: 900 } })
    mkdirSync(SCREENSHOT_DIR, { recursive: true })
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
  const watchErrors = (p: Page) => p.on('pageerror', (err) => pageErrors.push(err.message))

  /** No serious or critical axe-core violations on what `p` shows now. */
  async function expectAccessible(p: Page, name: string) {
    await p.evaluate(axe.source)
    const result = await p.evaluate(() =>
      (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }),
    )
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
    await page.getByLabel('New workspace name').fill('Analytics')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByRole('heading', { name: /Analytics/ }).waitFor()
    workspaceId = /#\/w\/([^/]+)/.exec(page.url())?.[1] ?? ''
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
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
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
      expect(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
      expect(await p.locator('.svg-output script, .svg-output [onerror]').count()).toBe(0)
    }
    await shot(page, 'outputs-xss')
    client.destroy()
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
    await page.getByTestId('notebooks').getByRole('link', { name: 'Revenue again' }).click()
    await expect.poll(() => sourceOf(page, 0)).toContain('print(total)')
    await page.getByTestId('cell').nth(1).getByRole('heading', { name: 'Quarterly revenue' }).waitFor()
    await shot(page, 'imported')
  })

  it('shows an offline banner, keeps local edits and syncs them once on reconnect', async () => {
    await page.goto(notebookUrl)
    await expect.poll(() => sourceOf(page, 0)).toContain('print(total)')
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

  it('measures opening a 500-cell notebook (reported, not asserted)', async () => {
    const created = await page.evaluate(async (ws) => {
      const csrf =
        document.cookie
          .split('; ')
          .find((c) => c.startsWith('wb_csrf='))
          ?.split('=')[1] ?? ''
      const res = await fetch(`/api/workspaces/${ws}/notebooks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ name: 'Big' }),
      })
      return ((await res.json()) as { id: string }).id
    }, workspaceId)
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

  function notebookId(): string {
    return decodeURIComponent(notebookUrl.split('/notebooks/')[1] ?? '')
  }
})

async function apiToken(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const csrf =
      document.cookie
        .split('; ')
        .find((c) => c.startsWith('wb_csrf='))
        ?.split('=')[1] ?? ''
    const res = await fetch('/api/me/tokens', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ name: `test ${Math.random()}`, scope: 'write' }),
    })
    return ((await res.json()) as { token: string }).token
  })
}
