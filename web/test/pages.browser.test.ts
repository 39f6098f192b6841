import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWebApp, launchBrowser, SCREENSHOT_DIR, type TestBrowser } from '../../workbench/test/support/browser.ts'
import { startTestWorkbench, type TestWorkbench } from '../../workbench/test/support/workbench.ts'
import { expectAccessible, pickTheme } from './support/shell.ts'

const OWNER = { name: 'Olga Owner', email: 'olga@example.com', password: 'owner password 1234' }
const LONG = { timeout: 60_000 }

/** Calls the API from the signed-in page (its cookies, its CSRF token), as the app does. */
async function apiCall(
  page: Page,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const init = JSON.stringify({ method, body: body === undefined ? undefined : JSON.stringify(body) })
  return (await page.evaluate(`(async () => {
    const init = ${init}
    const csrf = document.cookie.split('; ').find((c) => c.startsWith('wb_csrf='))?.slice(8) ?? ''
    const res = await fetch(${JSON.stringify(url)}, { ...init, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf } })
    return { status: res.status, body: await res.json().catch(() => null) }
  })()`)) as { status: number; body: any }
}

/**
 * Every page of the app on the whole workbench (`npm start`'s stack: PGlite, DuckDB, Jupyter, Temporal), in light
 * and dark: axe-core finds no serious or critical violation, and each page is saved as a screenshot to look at.
 */
describe('every page, light and dark', () => {
  let workbench: TestWorkbench
  let chromium: TestBrowser
  let browser: Browser
  let page: Page
  let ws = ''
  let notebookId = ''
  let assetId = ''
  let pipelineId = ''
  let runId = ''
  const pageErrors: string[] = []

  beforeAll(async () => {
    const webDist = buildWebApp('pages')
    ;[workbench, chromium] = await Promise.all([startTestWorkbench({ WEB_DIST: webDist }), launchBrowser()])
    browser = chromium.browser
  }, 300_000)
  afterAll(async () => {
    await chromium?.close()
    await workbench?.dispose()
  })

  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(SCREENSHOT_DIR, `page-${name}.png`) })

  it('the sign-in and registration pages', async () => {
    const signedOut = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage()
    await signedOut.goto(workbench.url)
    await signedOut.getByRole('button', { name: 'Create account' }).waitFor(LONG)
    await expectAccessible(signedOut, 'first-user registration')
    await shot(signedOut, 'register-light')
    await signedOut.emulateMedia({ colorScheme: 'dark' })
    await signedOut.reload()
    await signedOut.getByRole('button', { name: 'Create account' }).waitFor()
    expect(await signedOut.evaluate('document.documentElement.dataset.theme')).toBe('dark')
    await expectAccessible(signedOut, 'first-user registration, dark')
    await shot(signedOut, 'register-dark')
    await signedOut.context().close()
  }, 60_000)

  it('sets up a workspace with a notebook, a table, a pipeline and a run', async () => {
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage()
    page.on('pageerror', (err) => pageErrors.push(err.message))
    await page.goto(workbench.url)
    await page.getByLabel('Name').fill(OWNER.name)
    await page.getByLabel('Email').fill(OWNER.email)
    await page.getByLabel('Password (at least 12 characters)').fill(OWNER.password)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByTestId('workspace-home').waitFor(LONG)
    ws = new URL(page.url()).pathname.split('/')[2] ?? ''

    const created = await apiCall(page, 'POST', `/api/workspaces/${ws}/notebooks`, { name: 'Revenue by region' })
    expect(created.status).toBe(201)
    notebookId = created.body.id
    await page.goto(`${workbench.url}/w/${ws}/notebooks/${notebookId}`)
    await page.getByRole('button', { name: 'Add a Markdown cell' }).click()
    await page.keyboard.type('# Revenue by region\n\nOrders per region, **last 200 orders**.\n\n')
    await page.keyboard.type('| region | target |\n|---|---:|\n| EU | 1200 |\n| US | 900 |\n')
    await page.keyboard.press('Shift+Enter')
    await page.keyboard.press('Escape')
    await page.keyboard.press('q') // the new cell becomes SQL
    await page.keyboard.press('Enter')
    await page.keyboard.type(
      "CREATE OR REPLACE TABLE orders AS SELECT range AS id, ['EU', 'US', 'APAC'][range % 3 + 1] AS region, round(10 + range * 7.3 % 500, 2) AS amount FROM range(200)",
    )
    await page.keyboard.press('Shift+Enter')
    await page.keyboard.press('Escape')
    await page.keyboard.press('q')
    await page.keyboard.press('Enter')
    await page.keyboard.type(
      'SELECT region, count(*) AS orders, sum(amount) AS revenue FROM orders GROUP BY region ORDER BY region',
    )
    await page.keyboard.press('Control+Enter')
    await page.getByText('APAC').first().waitFor(LONG)

    const search = await apiCall(page, 'GET', `/api/workspaces/${ws}/catalog/search?q=orders&limit=5&offset=0`)
    assetId = search.body.items.find((i: { name: string }) => i.name === 'orders')?.id ?? ''
    expect(assetId).not.toBe('')

    const yaml = [
      'apiVersion: workbench/v1',
      'kind: Pipeline',
      'metadata: { name: daily-revenue }',
      'steps:',
      '  - { id: revenue, type: sql, with: { sql: "create or replace table daily_revenue as select region, sum(amount) as revenue from orders group by region" } }',
      '  - { id: check, type: quality, depends_on: [revenue], with: { table: daily_revenue, checks: [{ not_null: region }] } }',
      '',
    ].join('\n')
    const pipeline = await apiCall(page, 'POST', `/api/workspaces/${ws}/pipelines`, { yaml })
    expect(pipeline.status).toBe(201)
    pipelineId = pipeline.body.id
    const run = await apiCall(page, 'POST', `/api/workspaces/${ws}/pipelines/${pipelineId}/runs`, {})
    expect(run.status).toBe(201)
    runId = run.body.id
    await expect
      .poll(async () => (await apiCall(page, 'GET', `/api/workspaces/${ws}/pipeline-runs/${runId}`)).body.status, {
        timeout: 120_000,
        interval: 1000,
      })
      .toBe('succeeded')
  }, 300_000)

  /** Each page, with what shows it has loaded. */
  const pages = (): { name: string; url: string; ready: (p: Page) => Promise<unknown> }[] => [
    {
      name: 'workspace-home',
      url: `/w/${ws}`,
      ready: (p) => p.getByTestId('home-pipelines').getByText('daily-revenue').waitFor(),
    },
    {
      name: 'notebooks',
      url: `/w/${ws}/notebooks`,
      ready: (p) => p.getByRole('link', { name: 'Revenue by region' }).waitFor(),
    },
    {
      name: 'notebook',
      url: `/w/${ws}/notebooks/${notebookId}`,
      ready: (p) => p.getByText('APAC').first().waitFor(LONG),
    },
    {
      name: 'catalog',
      url: `/w/${ws}/catalog?q=orders`,
      ready: (p) =>
        p
          .getByRole('link', { name: /orders/ })
          .first()
          .waitFor(),
    },
    {
      name: 'asset',
      url: `/w/${ws}/catalog/${assetId}`,
      ready: (p) => p.getByRole('tab', { name: /Schema/ }).waitFor(),
    },
    {
      name: 'asset-lineage',
      url: `/w/${ws}/catalog/${assetId}?tab=lineage`,
      ready: (p) => p.getByRole('tab', { name: 'Lineage', selected: true }).waitFor(),
    },
    { name: 'files', url: `/w/${ws}/files`, ready: (p) => p.getByRole('heading', { name: 'Files' }).first().waitFor() },
    {
      name: 'connections',
      url: `/w/${ws}/connections`,
      ready: (p) => p.getByRole('heading', { name: 'Connections' }).first().waitFor(),
    },
    {
      name: 'pipelines',
      url: `/w/${ws}/pipelines`,
      ready: (p) => p.getByRole('link', { name: 'daily-revenue' }).first().waitFor(),
    },
    {
      name: 'pipeline',
      url: `/w/${ws}/pipelines/${pipelineId}`,
      ready: (p) => p.getByRole('heading', { name: 'daily-revenue' }).waitFor(LONG),
    },
    {
      name: 'run',
      url: `/w/${ws}/pipeline-runs/${runId}`,
      ready: (p) => p.getByText('succeeded').first().waitFor(LONG),
    },
    { name: 'members', url: `/w/${ws}/members`, ready: (p) => p.getByText(OWNER.email).first().waitFor() },
    { name: 'audit', url: `/w/${ws}/audit`, ready: (p) => p.getByRole('table').first().waitFor() },
    { name: 'tokens', url: '/tokens', ready: (p) => p.getByRole('heading', { name: 'API tokens' }).first().waitFor() },
    {
      name: 'admin',
      url: '/admin',
      ready: (p) => p.getByRole('heading', { name: 'Administration' }).first().waitFor(),
    },
  ]

  for (const theme of ['light', 'dark'] as const) {
    it(`has no serious accessibility violation on any page, ${theme}`, async () => {
      await page.goto(`${workbench.url}/w/${ws}`)
      await pickTheme(page, theme === 'light' ? 'Light' : 'Dark')
      for (const { name, url, ready } of pages()) {
        await page.goto(`${workbench.url}${url}`)
        await ready(page)
        expect(await page.evaluate('document.documentElement.dataset.theme')).toBe(theme)
        await expectAccessible(page, `${name}, ${theme}`)
        // Tables fit their panels: the page never scrolls sideways.
        expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), name).toBe(true)
        await shot(page, `${name}-${theme}`)
      }
      // The command palette and the new-workspace dialog.
      await page.goto(`${workbench.url}/w/${ws}`)
      await page.getByTestId('workspace-home').waitFor()
      await page.keyboard.press('Control+k')
      await page.getByRole('option', { name: 'Revenue by region' }).waitFor()
      await expectAccessible(page, `command palette, ${theme}`)
      await shot(page, `palette-${theme}`)
      await page.keyboard.press('Escape')
      await page.getByRole('button', { name: 'New workspace', exact: true }).click()
      await page.getByRole('dialog', { name: 'New workspace' }).waitFor()
      await expectAccessible(page, `new workspace dialog, ${theme}`)
      await shot(page, `new-workspace-${theme}`)
      await page.keyboard.press('Escape')
    }, 300_000)
  }

  it('is usable at 1920 px: the notebook and the asset page use the width', async () => {
    await page.setViewportSize({ width: 1920, height: 1080 })
    await page.goto(`${workbench.url}/w/${ws}/notebooks/${notebookId}`)
    await page.getByText('APAC').first().waitFor(LONG)
    await shot(page, 'notebook-1920')
    await page.goto(`${workbench.url}/w/${ws}/catalog/${assetId}`)
    await page.getByRole('tab', { name: /Schema/ }).waitFor()
    await shot(page, 'asset-1920')
    expect(pageErrors).toEqual([])
  }, 120_000)
})
