import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWebApp, launchBrowser, SCREENSHOT_DIR, type TestBrowser } from '../../workbench/test/support/browser.ts'
import { startTestWorkbench, type TestWorkbench } from '../../workbench/test/support/workbench.ts'

describe('web shell in Chromium', () => {
  let workbench: TestWorkbench
  let browser: TestBrowser

  beforeAll(async () => {
    const webDist = buildWebApp('status-panel')
    ;[workbench, browser] = await Promise.all([startTestWorkbench({ WEB_DIST: webDist }), launchBrowser()])
  })
  afterAll(async () => {
    await browser?.close()
    await workbench?.dispose()
  })

  it('shows every service green, with its latency, from /api/readyz', async () => {
    const page = await browser.browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(workbench.url)
    await page.getByTestId('overall-status').getByText('All services are up').waitFor({ timeout: 15_000 })
    for (const name of ['database', 'duckdb', 'jupyter', 'temporal']) {
      const row = page.getByTestId(`service-${name}`)
      expect(await row.getAttribute('data-status')).toBe('up')
      expect(await row.locator('.latency').textContent()).toMatch(/^\d+\.\d ms$/)
    }
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'status-panel.png'), fullPage: true })
    expect(errors).toEqual([])
  })

  it('turns a service red when it goes down, and green when it is back', async () => {
    const page = await browser.browser.newPage()
    await page.goto(workbench.url)
    const jupyterRow = page.getByTestId('service-jupyter')
    await page.getByTestId('overall-status').getByText('All services are up').waitFor({ timeout: 15_000 })
    // A hung Jupyter first (its probe times out), so the 2 s poll surely sees it down: a killed one is
    // restarted by its supervisor in well under 2 s and could come back between two polls.
    const pid = workbench.jupyter.process?.pid as number
    process.kill(pid, 'SIGSTOP')
    await page.locator('[data-testid="service-jupyter"][data-status="down"]').waitFor({ timeout: 15_000 })
    expect(await page.getByTestId('overall-status').textContent()).toBe('Some services are down')
    process.kill(pid, 'SIGKILL')
    await page.locator('[data-testid="service-jupyter"][data-status="up"]').waitFor({ timeout: 30_000 })
    expect(await jupyterRow.locator('.state').textContent()).toBe('up')
  })

  it('serves the app for client-side routes, and the API docs page', async () => {
    const page = await browser.browser.newPage()
    const deep = await page.goto(`${workbench.url}/notebooks/some/deep/link`)
    expect(deep?.status()).toBe(200)
    await page.getByRole('heading', { name: 'Workbench' }).waitFor()
    await page.goto(`${workbench.url}/api/docs`)
    await page.getByText('Workbench API').first().waitFor({ timeout: 15_000 })
  })
})
