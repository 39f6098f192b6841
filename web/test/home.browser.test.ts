import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWebApp, launchBrowser, SCREENSHOT_DIR, type TestBrowser } from '../../workbench/test/support/browser.ts'
import { type NotebookServer, startNotebookServer } from './support/notebook-server.ts'
import { pickTheme } from './support/shell.ts'

const ADA = { name: 'Ada Lovelace', email: 'ada@example.com', password: 'first user password 1234' }
const BOB = { name: 'Bob Babbage', email: 'bob@example.com', password: 'second user password 1234' }

/**
 * The first hour, in real Chromium against the real API: where registering, signing in, creating a workspace and
 * accepting an invitation land (a workspace home with recent notebooks, pipelines and next steps).
 */
describe('the home page after sign-in', () => {
  let server: NotebookServer
  let chromium: TestBrowser
  let browser: Browser
  let ada: Page
  let bob: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    const webDist = buildWebApp('home')
    ;[server, chromium] = await Promise.all([startNotebookServer(webDist), launchBrowser()])
    browser = chromium.browser
  }, 180_000)
  afterAll(async () => {
    await chromium?.close()
    await server?.dispose()
  })

  const newPage = async () => {
    const p = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage()
    p.on('pageerror', (err) => pageErrors.push(err.message))
    return p
  }
  const shot = (p: Page, name: string) =>
    p.screenshot({ path: path.join(SCREENSHOT_DIR, `home-${name}.png`), fullPage: true })
  const register = async (p: Page, who: typeof ADA) => {
    await p.getByLabel('Name').fill(who.name)
    await p.getByLabel('Email').fill(who.email)
    await p.getByLabel('Password (at least 12 characters)').fill(who.password)
    await p.getByRole('button', { name: 'Create account' }).click()
  }
  const pathOf = (p: Page) => new URL(p.url()).pathname

  it('the first user gets a workspace and lands on its home, with what to do next', async () => {
    ada = await newPage()
    await ada.goto(server.url)
    await register(ada, ADA)
    const home = ada.getByTestId('workspace-home')
    await home.getByRole('heading', { name: /Ada's workspace/ }).waitFor({ timeout: 15_000 })
    expect(pathOf(ada)).toMatch(/^\/w\/[0-9a-f-]{36}$/)
    const steps = home.getByTestId('next-steps').getByRole('listitem')
    await expect.poll(() => steps.count()).toBe(4)
    expect(await steps.first().getAttribute('data-done')).toBe('false')
    await home.getByTestId('recent-notebooks').getByText('No notebooks yet.').waitFor()
    await home.getByTestId('home-pipelines').getByText('No pipelines yet.').waitFor()
    await shot(ada, 'first-user')
  }, 60_000)

  it('lists the notebooks touched last, and ticks the step done', async () => {
    await ada.getByRole('navigation', { name: 'Workspace sections' }).getByRole('link', { name: 'Notebooks' }).click()
    await ada.getByLabel('New notebook name').fill('Weekly sales')
    await ada.getByRole('button', { name: 'Create notebook' }).click()
    await ada.getByRole('button', { name: 'Add a SQL cell' }).waitFor({ timeout: 30_000 })
    await ada.getByRole('navigation', { name: 'Workspace sections' }).getByRole('link', { name: 'Home' }).click()
    const recent = ada.getByTestId('recent-notebooks')
    await recent.getByRole('link', { name: 'Weekly sales' }).waitFor({ timeout: 10_000 })
    expect(await ada.getByTestId('next-steps').getByRole('listitem').first().getAttribute('data-done')).toBe('true')
    await recent.getByRole('link', { name: 'Weekly sales' }).click()
    await ada.getByRole('button', { name: 'Add a SQL cell' }).waitFor({ timeout: 30_000 })
  }, 60_000)

  it('signing in at /login lands on the last workspace used, not on a blank sign-in page', async () => {
    const again = await newPage()
    await again.goto(`${server.url}/login`)
    await again.getByLabel('Email').fill(ADA.email)
    await again.getByLabel('Password').fill(ADA.password)
    await again.getByRole('button', { name: 'Sign in' }).click()
    await again
      .getByTestId('workspace-home')
      .getByRole('heading', { name: /Ada's workspace/ })
      .waitFor()
    expect(pathOf(again)).toMatch(/^\/w\//)
    await again.context().close()
  }, 60_000)

  it('a user without a workspace is told what to do; creating one lands on its home, not on Members', async () => {
    bob = await newPage()
    await bob.goto(`${server.url}/register`)
    await register(bob, BOB)
    const welcome = bob.getByTestId('no-workspace')
    await welcome.getByRole('heading', { name: 'Welcome, Bob Babbage' }).waitFor({ timeout: 15_000 })
    expect(pathOf(bob)).toBe('/')
    await shot(bob, 'no-workspace')
    expect(await welcome.getByLabel('Your workspace name').inputValue()).toBe("Bob's workspace")
    await welcome.getByRole('button', { name: 'Create my workspace' }).click()
    await bob
      .getByTestId('workspace-home')
      .getByRole('heading', { name: /Bob's workspace/ })
      .waitFor()
    // The switcher's own "Create workspace" lands on the new workspace's home too.
    await bob.getByRole('button', { name: 'New workspace', exact: true }).click()
    await bob.getByLabel('New workspace name').fill('Side project')
    await bob.getByRole('button', { name: 'Create workspace' }).click()
    await bob
      .getByTestId('workspace-home')
      .getByRole('heading', { name: /Side project/ })
      .waitFor()
    expect(await bob.getByRole('heading', { name: /Members/ }).count()).toBe(0)
  }, 60_000)

  it('accepting an invitation selects the workspace it is for', async () => {
    // Members, Audit log and settings live in the workspace menu at the top of the sidebar.
    await ada.getByRole('button', { name: 'Workspace menu' }).click()
    await ada.getByRole('menuitem', { name: 'Members' }).click()
    await ada.getByLabel('Email to invite').fill(BOB.email)
    await ada.getByLabel('Role to grant').selectOption('editor')
    await ada.getByRole('button', { name: 'Invite' }).click()
    const link = (await ada.getByTestId('invitation-link').textContent()) ?? ''
    const token = /#\/invite\/(.+)$/.exec(link)?.[1]
    expect(token).toBeTruthy()
    // The link the server mails keeps the token in the fragment (never sent to the server): it still opens.
    await bob.goto(`${server.url}/#/invite/${token}`)
    await bob.getByRole('button', { name: 'Accept invitation' }).click()
    const home = bob.getByTestId('workspace-home')
    await home.getByRole('heading', { name: /Ada's workspace/ }).waitFor({ timeout: 15_000 })
    expect(await bob.getByRole('button', { name: 'Workspace menu' }).textContent()).toContain("Ada's workspace")
    await home.getByTestId('recent-notebooks').getByRole('link', { name: 'Weekly sales' }).waitFor()
    await shot(bob, 'invited')
    expect(pageErrors).toEqual([])
  }, 60_000)
  it('the command palette (Ctrl-K) jumps to a notebook by name, and to an action', async () => {
    await ada.getByRole('navigation', { name: 'Workspace sections' }).getByRole('link', { name: 'Home' }).click()
    await ada.getByTestId('workspace-home').waitFor()
    await ada.keyboard.press('Control+k')
    const palette = ada.getByRole('dialog', { name: 'Command palette' })
    await palette.waitFor()
    await palette.getByRole('option', { name: 'Weekly sales' }).waitFor({ timeout: 10_000 })
    await ada.keyboard.type('weekly')
    await shot(ada, 'command-palette')
    await ada.keyboard.press('Enter')
    await ada.getByRole('button', { name: 'Add a SQL cell' }).waitFor({ timeout: 30_000 })
    expect(pathOf(ada)).toMatch(/^\/w\/[0-9a-f-]{36}\/notebooks\/[^/]+$/)
    expect(await palette.count()).toBe(0)

    // Actions too: "New pipeline" from anywhere, with the same shortcut (also from inside the page).
    await ada.keyboard.press('Control+k')
    await ada.keyboard.type('new pipeline')
    await ada.keyboard.press('Enter')
    await expect.poll(() => pathOf(ada)).toMatch(/\/pipelines\/new$/)
  }, 60_000)

  it('deep links open where they point, also after a reload: a notebook cell, a catalog search', async () => {
    await ada.getByRole('navigation', { name: 'Workspace sections' }).getByRole('link', { name: 'Notebooks' }).click()
    await ada.getByRole('link', { name: 'Weekly sales' }).click()
    await ada.getByRole('button', { name: 'Add a SQL cell' }).click()
    // The add-cell bar under a cell shows on hover (and on keyboard focus).
    await ada.getByTestId('cell').first().hover()
    await ada.getByRole('button', { name: '+ SQL' }).first().click()
    const cells = ada.getByTestId('cell')
    await expect.poll(() => cells.count()).toBeGreaterThanOrEqual(2)
    const first = (await cells.first().getAttribute('data-cell-id')) ?? ''
    expect(first).not.toBe('')
    const notebookUrl = ada.url()

    const linked = await newPage()
    await linked.goto(`${notebookUrl}?cell=${encodeURIComponent(first)}`)
    // A new context has no session: signing in lands where the link pointed.
    await linked.getByLabel('Email').fill(ADA.email)
    await linked.getByLabel('Password').fill(ADA.password)
    await linked.getByRole('button', { name: 'Sign in' }).click()
    await linked.locator(`[data-cell-id="${first}"].active`).waitFor({ timeout: 30_000 })
    expect(new URL(linked.url()).search).toBe(`?cell=${encodeURIComponent(first)}`)

    // A catalog search is in the URL as it is typed, and survives a reload.
    const workspaceId = pathOf(linked).split('/')[2] ?? ''
    await linked.goto(`${server.url}/w/${workspaceId}/catalog?q=orders`)
    const search = linked.getByLabel('Search the catalog')
    await expect.poll(() => search.inputValue()).toBe('orders')
    await search.fill('customers')
    await expect.poll(() => new URL(linked.url()).searchParams.get('q')).toBe('customers')
    await linked.reload()
    await expect.poll(() => linked.getByLabel('Search the catalog').inputValue()).toBe('customers')
    // Back returns to the linked notebook.
    await linked.goBack()
    await linked.getByRole('button', { name: 'Add a SQL cell' }).waitFor({ timeout: 30_000 })
    await linked.context().close()
  }, 90_000)

  it('the theme menu switches light and dark, remembered across reloads', async () => {
    await pickTheme(ada, 'Dark')
    await expect.poll(() => ada.evaluate('document.documentElement.dataset.theme')).toBe('dark')
    await ada.reload()
    await expect.poll(() => ada.evaluate('document.documentElement.dataset.theme')).toBe('dark')
    await pickTheme(ada, 'Light')
    await expect.poll(() => ada.evaluate('document.documentElement.dataset.theme')).toBe('light')
    await pickTheme(ada, 'System')
    expect(await ada.evaluate("localStorage.getItem('workbench.theme')")).toBe(null)
    expect(pageErrors).toEqual([])
  }, 60_000)
})
