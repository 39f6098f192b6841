import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import axe from 'axe-core'
import type { BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { artifactsOf } from '../../workbench/src/pipelines/run-artifacts.ts'
import { buildWebApp, launchBrowser, SCREENSHOT_DIR, type TestBrowser } from '../../workbench/test/support/browser.ts'
import { type PipelinesServer, startPipelinesServer } from './support/pipelines-server.ts'

const _ROOT = path.resolve(import.meta.dirname, '../..')
const LONG = { timeout: 60_000 }

/** Real Chromium against the real pipelines API, a real Temporal dev server and worker, and the built web app. */
describe('pipelines in the browser', () => {
  let x: PipelinesServer
  let url: string
  let chromium: TestBrowser
  let editorContext: BrowserContext
  let page: Page
  let workspaceId = ''
  let pipelineId = ''
  const pageErrors: string[] = []

  beforeAll(async () => {
    const webDist = buildWebApp('pipelines')
    x = await startPipelinesServer(webDist)
    url = x.url
    chromium = await launchBrowser()
    editorContext = await chromium.browser.newContext({ viewport: { width: 1400, height: 1000 } })
  })
  afterAll(async () => {
    await chromium?.close()
    await x?.dispose()
  })

  // What the page showed when a test failed, for whoever reads the failure.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page)
      await shot(page, `failed-${ctx.task.name.slice(0, 30)}`).catch(() => {})
  })

  const shot = (p: Page, name: string) =>
    p.screenshot({ path: path.join(SCREENSHOT_DIR, `pipelines-${name}.png`), fullPage: true })
  const watchErrors = (p: Page) => p.on('pageerror', (err) => pageErrors.push(err.message))
  const editorText = (p: Page) =>
    p
      .getByTestId('yaml-editor')
      .locator('.view-lines')
      .innerText()
      .then((t) => t.replace(/\u00a0/g, ' '))

  /** Each matched element's `names` attributes, joined by '='. */
  const attributes = async (locator: Locator, ...names: string[]) =>
    Promise.all(
      (await locator.all()).map(async (l) => (await Promise.all(names.map((n) => l.getAttribute(n)))).join('=')),
    )

  /** Pastes `text` where the focus is, as a person pasting from the clipboard does (no auto-indent on the way). */
  const paste = (p: Page, text: string) =>
    // A string, because this file is compiled without the DOM library; it runs in the page.
    p.evaluate(`(() => {
      const data = new DataTransfer()
      data.setData('text/plain', ${JSON.stringify(text)})
      const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true })
      document.activeElement.dispatchEvent(event)
    })()`)

  /** No serious or critical axe-core violations on what `p` shows now. */
  async function expectAccessible(p: Page, name: string) {
    await p.evaluate(axe.source)
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

  it('writes a pipeline in YAML, sees its problem as a marker and in the list, fixes it and saves it', async () => {
    page = await editorContext.newPage()
    page.setDefaultTimeout(30_000)
    watchErrors(page)
    await page.goto(`${url}/#/register`)
    await page.getByLabel('Name').fill('Pia Pipelines')
    await page.getByLabel('Email').fill('pia@example.com')
    await page.getByLabel('Password (at least 12 characters)').fill('pipeline password 1234')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByTestId('signed-in-as').waitFor()
    await page.getByRole('button', { name: 'New workspace', exact: true }).click()
    await page.getByLabel('New workspace name').fill('Operations')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByRole('heading', { name: /Operations/ }).waitFor()
    workspaceId = /\/w\/([^/?#]+)/.exec(new URL(page.url()).pathname)?.[1] ?? ''
    await page.getByRole('link', { name: 'Pipelines' }).click()
    await page.getByText('No pipelines yet.').waitFor()
    await expectAccessible(page, 'pipelines list')

    await page.getByRole('link', { name: 'New pipeline' }).click()
    const editor = page.getByTestId('yaml-editor')
    await editor.locator('.view-lines').waitFor(LONG)
    // The starter spec is valid as it is.
    await expect.poll(() => editorText(page)).toContain('apiVersion: workbench/v1')
    await expect.poll(() => page.getByTestId('validation-state').textContent(), LONG).toBe('Valid')

    // Replace it with a spec whose last step depends on a misspelt step.
    const hook = `${x.webhooks.url}/ok`
    const yaml = [
      'apiVersion: workbench/v1',
      'kind: Pipeline',
      'metadata: { name: browser-demo }',
      'params:',
      '  n: { type: integer, default: 1 }',
      'steps:',
      `  - { id: extract, type: http, with: { url: '${hook}' } }`,
      `  - { id: load, type: http, depends_on: [extract], with: { url: '${hook}', body: { n: '{{ params.n }}' } } }`,
      `  - { id: notify, type: http, depends_on: [extrac], with: { url: '${hook}' } }`,
      '',
    ].join('\n')
    await editor.locator('.view-lines').click()
    await page.keyboard.press('ControlOrMeta+a')
    await page.keyboard.press('Delete')
    await paste(page, yaml)
    await expect.poll(() => editorText(page)).toContain('depends_on: [extrac]')

    const problems = page.getByTestId('problems')
    await problems.getByText(/extrac/).waitFor(LONG)
    expect(await problems.locator('li').count()).toBe(1)
    expect(await problems.locator('li').first().getAttribute('data-code')).toBe('unknown_dependency')
    expect(await problems.textContent()).toContain('Line 9:')
    expect(Number(await editor.getAttribute('data-markers'))).toBe(1)
    await editor.locator('.squiggly-error').first().waitFor()
    await expectAccessible(page, 'new pipeline with a problem')
    await shot(page, 'problem')

    // The problem's link puts the cursor on it: select the misspelt word and retype it.
    await problems.getByRole('button', { name: /Line 9:/ }).click()
    await page.keyboard.press('ControlOrMeta+Shift+ArrowRight')
    await page.keyboard.insertText('extract')
    await expect.poll(() => editorText(page)).toContain('depends_on: [extract], with')
    await expect.poll(() => page.getByTestId('validation-state').textContent(), LONG).toBe('Valid')
    expect(await page.getByTestId('problems').count()).toBe(0)
    await expect.poll(async () => Number(await editor.getAttribute('data-markers'))).toBe(0)

    await page.getByRole('button', { name: 'Save pipeline' }).click()
    await page.getByRole('heading', { name: 'browser-demo' }).waitFor(LONG)
    pipelineId = /\/w\/[^/]+\/pipelines\/([^/?#]+)/.exec(new URL(page.url()).pathname)?.[1] ?? ''
    expect(pipelineId).not.toBe('')
  }, 240_000)

  it('shows the step graph, runs it with a parameter and follows each step to success with live logs', async () => {
    const nodes = page.getByTestId('dag-node')
    await expect.poll(() => nodes.count(), LONG).toBe(3)
    expect((await attributes(nodes, 'data-step')).sort()).toEqual(['extract', 'load', 'notify'])
    expect((await attributes(page.getByTestId('dag-edge'), 'data-edge')).sort()).toEqual([
      'extract>load',
      'extract>notify',
    ])
    await expectAccessible(page, 'pipeline page')
    await shot(page, 'pipeline')

    const form = page.getByRole('form', { name: 'Run the pipeline' })
    expect(await form.getByLabel(/^n/).inputValue()).toBe('1')
    await form.getByLabel(/^n/).fill('5')
    await form.getByRole('button', { name: 'Run now' }).click()
    await page.getByRole('heading', { name: /Run of browser-demo/ }).waitFor(LONG)
    await expect.poll(() => page.getByTestId('run-status').textContent(), LONG).toBe('succeeded')
    const steps = page.getByTestId('run-steps').locator('tbody tr')
    await expect
      .poll(() => attributes(steps, 'data-step', 'data-status'), LONG)
      .toEqual(['extract=succeeded', 'load=succeeded', 'notify=succeeded'])
    await expect
      .poll(() => attributes(page.getByTestId('dag-node'), 'data-status'), LONG)
      .toEqual(['succeeded', 'succeeded', 'succeeded'])
    const logs = page.getByTestId('run-logs')
    await expect.poll(() => logs.textContent(), LONG).toMatch(/\[notify\] attempt 1 succeeded/)
    expect(await logs.textContent()).toMatch(/\[extract\] attempt 1 succeeded/)
    await expect.poll(() => page.getByTestId('log-state').textContent(), LONG).toBe('complete')
    // One step's lines, chosen from the steps table.
    await page.getByRole('button', { name: 'Show the log of load' }).click()
    await expect.poll(() => logs.textContent()).not.toMatch(/\[extract\]/)
    expect(await logs.textContent()).toMatch(/\[load\] attempt 1 succeeded/)
    await page.getByRole('button', { name: 'Show the log of load' }).click()
    await expect.poll(() => logs.textContent()).toMatch(/\[extract\]/)
    expect(await page.getByText('n=5').count()).toBe(1)
    expect(await page.getByRole('button', { name: 'Re-run from failed step' }).count()).toBe(0)
    await expectAccessible(page, 'run page')
    await shot(page, 'run')

    // A step's artifact (as a notebook step records its executed notebook) is a download link.
    const [latest] = (await x.pipelines.runs.list(workspaceId, { limit: 1, offset: 0 })).items
    const folder = path.join(x.dataDirOf(workspaceId), 'pipeline-artifacts', 'browser-demo', 'k')
    mkdirSync(folder, { recursive: true })
    const notebook = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
    writeFileSync(path.join(folder, 'executed.ipynb'), notebook)
    const output = { artifact: { path: path.join(folder, 'executed.ipynb'), bytes: notebook.length, format: 'ipynb' } }
    await x.pipelines.pipelines.db
      .updateTable('pipeline_step_runs')
      .set({ output: JSON.stringify(output), artifacts: JSON.stringify(artifactsOf(output)) })
      .where('run_id', '=', latest?.id ?? '')
      .where('step_id', '=', 'load')
      .execute()
    await page.reload()
    const link = page.getByTestId('step-artifacts').getByRole('link', { name: 'executed.ipynb' })
    await link.waitFor(LONG)
    expect(await page.getByTestId('step-artifacts').textContent()).toContain('executed notebook, 66 B')
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
    expect(download.suggestedFilename()).toBe('executed.ipynb')
    expect(readFileSync(await download.path(), 'utf8')).toBe(notebook)
  }, 240_000)

  it('schedules it in a time zone (a new version), pauses it, and lists it with its last run', async () => {
    await page.goto(`${url}/#/w/${workspaceId}/pipelines/${pipelineId}`)
    await page.getByRole('button', { name: 'Add a schedule' }).click(LONG)
    const form = page.getByRole('form', { name: 'Schedule' })
    await form.getByLabel(/Cron expression/).fill('0 6 * * *')
    await form.getByLabel('Time zone').fill('Europe/Paris')
    await form.getByLabel(/When a run is due/).selectOption('buffer_one')
    await form.getByLabel(/Catch-up window/).fill('1h')
    await form.getByRole('button', { name: 'Save schedule' }).click()
    await page.getByText('version 2', { exact: false }).first().waitFor(LONG)
    await expect.poll(() => page.getByTestId('schedule-state').textContent(), LONG).toBe('active')
    await expect.poll(() => editorText(page)).toContain('timezone: Europe/Paris')
    // The rest of the document is kept as written.
    expect(await editorText(page)).toContain('depends_on: [extract], with')
    await page.getByRole('button', { name: 'Pause schedule' }).click()
    await expect.poll(() => page.getByTestId('schedule-state').textContent(), LONG).toBe('paused')
    await page.getByTestId('runs').getByRole('link', { name: 'succeeded' }).waitFor()

    // The older version is still there, read-only, without the schedule.
    await page.getByLabel('Version', { exact: true }).selectOption('1')
    await page.getByText('Viewing version 1 (read-only)').waitFor()
    await expect.poll(() => editorText(page)).not.toContain('schedule:')
    expect(await page.getByTestId('yaml-editor').getAttribute('data-readonly')).toBe('true')
    await page.getByRole('button', { name: 'Back to current' }).click()
    await expect.poll(() => editorText(page)).toContain('timezone: Europe/Paris')

    // A backfill of two days, one run per day.
    const backfill = page.getByRole('form', { name: 'Backfill' })
    await backfill.getByLabel('From').fill('2024-01-01')
    await backfill.getByLabel('Until (exclusive)').fill('2024-01-03')
    await backfill.getByLabel('Every').fill('1d')
    await backfill.getByRole('button', { name: 'Backfill' }).click()
    await page.getByText('Backfill started 2 run(s)').waitFor(LONG)
    await expect.poll(() => page.getByTestId('runs').locator('tbody tr').count(), LONG).toBe(3)
    expect(await page.getByTestId('runs').getByRole('cell', { name: 'backfill' }).count()).toBe(2)

    // Times next to the schedule are in its zone, and say so.
    await page.getByRole('button', { name: 'Resume schedule' }).click()
    await expect.poll(() => page.getByTestId('schedule-state').textContent(), LONG).toBe('active')
    await expect.poll(() => page.getByTestId('schedule-next-runs').textContent(), LONG).toMatch(/6:00\s?AM GMT\+1/)
    const savedAt = page.getByTestId('version-saved-at')
    await expect.poll(() => savedAt.getAttribute('data-at'), LONG).toBeTruthy()
    const versionTime = await savedAt.getAttribute('data-at')
    const versionText = await savedAt.textContent()
    expect(versionText).toMatch(/(UTC|GMT)/)
    await page.getByRole('button', { name: 'Pause schedule' }).click()
    await expect.poll(() => page.getByTestId('schedule-state').textContent(), LONG).toBe('paused')

    // An SLA, shown once saved (the API only ever says whether the signing secret is set).
    await page.getByRole('button', { name: 'Edit SLA and alerts' }).click()
    const settings = page.getByRole('form', { name: 'SLA and alerts' })
    await settings.getByLabel('Longest acceptable run').fill('45m')
    await settings.getByLabel('Failure webhook URL').fill(`${x.webhooks.url}/alert`)
    await settings.getByLabel(/Signing secret/).fill('a signing secret of 32 characters')
    await settings.getByRole('button', { name: 'Save SLA and alerts' }).click()
    await page.getByText('runs within 45m').waitFor(LONG)
    await page.getByText('(signed)').waitFor()
    expect(await page.content()).not.toContain('a signing secret of 32 characters')
    // Alert settings are not a new definition: the version's "saved" time stays.
    expect(await savedAt.getAttribute('data-at')).toBe(versionTime)
    expect(await savedAt.textContent()).toBe(versionText)

    await page.getByRole('link', { name: '← Pipelines' }).click()
    const row = page.getByTestId('pipelines').locator('tbody tr')
    await row.getByRole('link', { name: 'browser-demo' }).waitFor(LONG)
    const text = (await row.textContent()) ?? ''
    expect(text).toContain('0 6 * * *')
    expect(text).toContain('Europe/Paris')
    expect(text).toContain('paused')
    expect(text).toMatch(/succeeded|running|queued/)
    await shot(page, 'list')

    // The workspace home lists it with its last run, linked to the run page.
    await page.goto(`${url}/#/w/${workspaceId}`)
    const lastRun = page.getByTestId('home-pipelines').getByTestId('home-last-run').first()
    await lastRun.waitFor(LONG)
    expect(await lastRun.textContent()).toMatch(/succeeded|running|queued/)
    expect(await lastRun.getAttribute('href')).toMatch(new RegExp(`^/w/${workspaceId}/pipeline-runs/`))
    await shot(page, 'workspace-home')
  }, 240_000)

  it("shows a failed run's error, and re-runs it from the failed step, reusing the step that succeeded", async () => {
    const created = await x.pipelines.pipelines.create(
      workspaceId,
      [
        'apiVersion: workbench/v1',
        'kind: Pipeline',
        'metadata: { name: flaky-demo }',
        'steps:',
        `  - { id: first, type: http, with: { url: '${x.webhooks.url}/ok' } }`,
        `  - { id: second, type: http, depends_on: [first], retry: { attempts: 1 }, with: { url: '${x.webhooks.url}/flaky' } }`,
        '',
      ].join('\n'),
      {},
      null,
    )
    await page.goto(`${url}/#/w/${workspaceId}/pipelines/${created.id}`)
    await page.getByRole('button', { name: 'Run now' }).click(LONG)
    await expect.poll(() => page.getByTestId('run-status').textContent(), LONG).toBe('failed')
    const steps = page.getByTestId('run-steps').locator('tbody tr')
    await expect
      .poll(() => attributes(steps, 'data-step', 'data-status'), LONG)
      .toEqual(['first=succeeded', 'second=failed'])
    expect(await steps.nth(1).textContent()).toMatch(/503/)
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0)
    await shot(page, 'failed-run')

    x.webhooks.flaky.fails = false
    await page.getByRole('button', { name: 'Re-run from failed step' }).click()
    await expect.poll(() => page.getByTestId('run-status').textContent(), LONG).toBe('succeeded')
    await expect
      .poll(() => attributes(steps, 'data-step', 'data-status'), LONG)
      .toEqual(['first=reused', 'second=succeeded'])
    await page.getByRole('link', { name: 'an earlier run' }).waitFor()
  }, 240_000)

  it('cancels a running run', async () => {
    const created = await x.pipelines.pipelines.create(
      workspaceId,
      [
        'apiVersion: workbench/v1',
        'kind: Pipeline',
        'metadata: { name: hanging-demo }',
        'steps:',
        `  - { id: wait, type: http, retry: { attempts: 1 }, with: { url: '${x.webhooks.url}/hang' } }`,
        '',
      ].join('\n'),
      {},
      null,
    )
    await page.goto(`${url}/#/w/${workspaceId}/pipelines/${created.id}`)
    await page.getByRole('button', { name: 'Run now' }).click(LONG)
    const steps = page.getByTestId('run-steps').locator('tbody tr')
    await expect.poll(() => attributes(steps, 'data-step', 'data-status'), LONG).toEqual(['wait=running'])
    await page.getByRole('button', { name: 'Cancel run' }).click()
    await expect.poll(() => page.getByTestId('run-status').textContent(), LONG).toBe('cancelled')
    await expect.poll(() => attributes(steps, 'data-step', 'data-status'), LONG).toEqual(['wait=cancelled'])
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0)
    await page.getByRole('button', { name: 'Re-run from failed step' }).waitFor()
  }, 240_000)

  it('compiles a notebook into a pipeline, reviewed in the editor before it is saved', async () => {
    const sql = (id: string, text: string) => ({
      id,
      cell_type: 'code' as const,
      source: `%%sql\n${text}`,
      metadata: { workbench: { type: 'sql', connection: 'duckdb' } },
      outputs: [],
      execution_count: null,
    })
    await x.notebooks.create(workspaceId, {
      name: 'Daily Orders',
      content: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          sql('a', 'CREATE OR REPLACE TABLE raw_orders AS SELECT * FROM range(3) t(i)'),
          sql('b', 'CREATE OR REPLACE TABLE clean_orders AS SELECT * FROM raw_orders'),
        ],
      },
    })
    await page.goto(`${url}/#/w/${workspaceId}/pipelines`)
    await page.getByRole('link', { name: 'From notebook' }).click()
    const form = page.getByRole('form', { name: 'Compile a notebook' })
    await form.getByLabel('Notebook').selectOption({ label: 'Daily Orders' })
    await form.getByRole('button', { name: 'Compile' }).click()
    await page
      .getByTestId('compile-result')
      .getByText(/2 step\(s\), pinned to/)
      .waitFor(LONG)
    await expect.poll(() => editorText(page), LONG).toContain('name: daily-orders')
    await expect
      .poll(() => attributes(page.getByTestId('dag-edge'), 'data-edge'), LONG)
      .toEqual(['raw_orders>clean_orders'])
    await expectAccessible(page, 'pipeline from a notebook')
    await shot(page, 'from-notebook')
    await page.getByRole('button', { name: 'Save pipeline' }).click()
    await page.getByRole('heading', { name: 'daily-orders' }).waitFor(LONG)
    await expect.poll(() => page.getByTestId('dag-node').count(), LONG).toBe(2)
  }, 240_000)

  it('shows a viewer everything read-only, without run, save or schedule controls', async () => {
    const { token } = await x.members.member(workspaceId, 'viewer')
    const viewerContext = await chromium.browser.newContext({ viewport: { width: 1400, height: 1000 } })
    await viewerContext.addCookies([{ name: 'wb_access', value: token, url: `${url}/api` }])
    const viewer = await viewerContext.newPage()
    watchErrors(viewer)
    await viewer.goto(`${url}/#/w/${workspaceId}/pipelines/${pipelineId}`)
    await viewer.getByRole('heading', { name: 'browser-demo' }).waitFor(LONG)
    await expect.poll(() => viewer.getByTestId('dag-node').count(), LONG).toBe(3)
    expect(await viewer.getByTestId('yaml-editor').getAttribute('data-readonly')).toBe('true')
    await viewer.getByTestId('runs').getByRole('link', { name: 'succeeded' }).first().waitFor(LONG)
    for (const name of [
      'Run now',
      'Save as a new version',
      'Delete pipeline',
      'Resume schedule',
      'Edit schedule',
      'Backfill',
    ])
      expect(await viewer.getByRole('button', { name }).count(), name).toBe(0)
    await viewer.goto(`${url}/#/w/${workspaceId}/pipelines`)
    await viewer.getByRole('link', { name: 'browser-demo' }).waitFor(LONG)
    expect(await viewer.getByRole('link', { name: 'New pipeline' }).count()).toBe(0)
    await shot(viewer, 'viewer')
    await viewerContext.close()
    expect(pageErrors).toEqual([])
  }, 240_000)
})
