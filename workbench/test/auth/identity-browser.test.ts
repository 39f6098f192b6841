import path from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildWebApp,
  type LoopbackServer,
  launchBrowser,
  SCREENSHOT_DIR,
  serveOnLoopback,
  type TestBrowser,
} from '../support/browser.ts'
import { createIdentityFixture, type IdentityFixture } from '../support/identity.ts'

const _ROOT = path.resolve(import.meta.dirname, '../../..')
const OWNER_PASSWORD = 'owner password 1234'
const VIEWER_PASSWORD = 'viewer password 5678'

/** Real Chromium against the real API and the built web app, served over HTTP on a free port. */
describe('identity in the browser', () => {
  let f: IdentityFixture
  let server: LoopbackServer
  let url: string
  let chromium: TestBrowser
  let owner: BrowserContext
  let viewer: BrowserContext
  let invitationLink: string

  beforeAll(async () => {
    const webDist = buildWebApp('identity')
    f = await createIdentityFixture('pglite', { webDist, env: { TRUST_PROXY: 'false' } })
    server = await serveOnLoopback(f.app.fetch)
    url = server.url
    chromium = await launchBrowser()
    owner = await chromium.browser.newContext()
    viewer = await chromium.browser.newContext()
  })
  afterAll(async () => {
    await chromium?.close()
    await server?.close()
    await f?.dispose()
  })

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(SCREENSHOT_DIR, `identity-${name}.png`), fullPage: true })

  it('registers the first account, creates a workspace and invites a viewer', async () => {
    const page = await owner.newPage()
    await page.goto(url)
    await page.getByText('the first account becomes its administrator').waitFor()
    await page.getByLabel('Name').fill('Olivia Owner')
    await page.getByLabel('Email').fill('olivia@example.com')
    await page.getByLabel('Password (at least 12 characters)').fill(OWNER_PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe('olivia@example.com')

    await page.getByRole('button', { name: 'New workspace', exact: true }).click()

    await page.getByLabel('New workspace name').fill('Analytics')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    // A new workspace opens on its home page; members are one link away.
    await page
      .getByTestId('workspace-home')
      .getByRole('heading', { name: /Analytics/ })
      .waitFor()
    await page.getByRole('navigation', { name: 'Workspace sections' }).getByRole('link', { name: 'Members' }).click()
    await page.getByLabel('Email to invite').fill('victor@example.com')
    await page.getByLabel('Role to grant').selectOption('viewer')
    await page.getByRole('button', { name: 'Invite' }).click()
    invitationLink = (await page.getByTestId('invitation-link').textContent()) ?? ''
    expect(invitationLink).toMatch(/#\/invite\/wbi_/)
    await page.getByText('victor@example.com as viewer: pending').waitFor()
    await shot(page, 'owner-members')
  })

  it('accepts the invitation in a second browser, as a viewer who cannot edit', async () => {
    const page = await viewer.newPage()
    await page.goto(invitationLink.replace(/^https?:\/\/[^/]+/, url))
    await page.getByRole('heading', { name: 'Join Analytics' }).waitFor()
    expect(await page.getByLabel('Email').inputValue()).toBe('victor@example.com')
    await page.getByLabel('Name').fill('Victor Viewer')
    await page.getByLabel('Password (at least 12 characters)').fill(VIEWER_PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe('victor@example.com')
    // Accepting the invitation lands on the workspace it is for.
    await expect
      .poll(() => page.getByLabel('Workspace', { exact: true }).locator('option:checked').textContent())
      .toBe('Analytics (viewer)')
    await page.getByRole('navigation', { name: 'Workspace sections' }).getByRole('link', { name: 'Members' }).click()
    await page.getByTestId('members').waitFor()
    expect(
      await page.getByTestId('members').locator('tr[data-email="victor@example.com"] td').nth(2).textContent(),
    ).toBe('viewer')
    // No editing controls for a viewer...
    expect(await page.getByRole('button', { name: 'Rename' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Invite' }).count()).toBe(0)
    expect(await page.getByRole('link', { name: 'Audit log' }).count()).toBe(0)
    // ...and the server refuses the edit even when the page's own session tries it directly.
    // A string, because this file is compiled without the DOM library; it runs in the page.
    const workspaceId = new URL(page.url()).pathname.split('/')[2]
    const attempt: { status: number; body: { code: string } } = JSON.parse(
      await page.evaluate(`(async () => {
        const csrf = document.cookie.match(/wb_csrf=([^;]+)/)?.[1] ?? ''
        const res = await fetch('/api/workspaces/${workspaceId}', {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
          body: JSON.stringify({ name: 'Taken over' }),
        })
        return JSON.stringify({ status: res.status, body: await res.json() })
      })()`),
    )
    expect(attempt.status).toBe(403)
    expect(attempt.body.code).toBe('role_insufficient')
    await shot(page, 'viewer-members')
  })

  it('signs out and in again, and shows the denied edit in the audit log with filters', async () => {
    const page = owner.pages()[0] ?? (await owner.newPage())
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await page.getByLabel('Email').fill('olivia@example.com')
    await page.getByLabel('Password').fill('not the password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').filter({ hasText: 'The email or password is wrong' }).waitFor()
    await page.getByLabel('Password').fill(OWNER_PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe('olivia@example.com')
    await page.getByLabel('Workspace', { exact: true }).selectOption({ label: 'Analytics (owner)' })
    await page.getByRole('link', { name: 'Audit log' }).click()
    await page.getByTestId('audit-events').locator('tbody tr').first().waitFor()
    await page.getByLabel('Outcome').selectOption('denied')
    await page.getByRole('button', { name: 'Filter' }).click()
    // The unfiltered list already holds the denied row: wait for the filtered answer to replace it.
    await expect
      .poll(() => page.getByTestId('audit-events').locator('tbody tr:not([data-outcome="denied"])').count())
      .toBe(0)
    const denied = page.getByTestId('audit-events').locator('tbody tr[data-action="workspace.rename"]')
    await denied.first().waitFor()
    expect(await denied.first().textContent()).toContain('victor@example.com')
    // The resource by name, linked to its page; the table fits its panel.
    expect(await denied.first().getByTestId('audit-resource').textContent()).toBe('workspace Analytics')
    const fits = await page.evaluate(`(() => {
      const table = document.querySelector('[data-testid="audit-events"]')
      return table.scrollWidth <= table.closest('.panel').clientWidth
    })()`)
    expect(fits).toBe(true)
    await shot(page, 'audit-log')
    // By category: changes only (the viewer's polling of the members list is not in the log at all).
    await page.getByLabel('Outcome').selectOption('')
    await page.getByLabel('Category').selectOption('change')
    await page.getByRole('button', { name: 'Filter' }).click()
    await expect
      .poll(() => page.getByTestId('audit-events').locator('tbody tr:not([data-category="change"])').count())
      .toBe(0)
    await page.getByTestId('audit-events').locator('tbody tr[data-action="workspace.create"]').first().waitFor()
    expect(await page.getByTestId('audit-events').locator('tbody tr[data-action="members.list"]').count()).toBe(0)
  })

  it('lets the instance admin disable an account, which signs it out', async () => {
    const ws = await f.db.insertInto('workspaces').values({ name: 'ops' }).returning('id').executeTakeFirstOrThrow()
    await f.db
      .insertInto('notebooks')
      .values({ id: 'nb-damaged', workspace_id: ws.id, name: 'Damaged', created_by: null, deleted_at: null })
      .execute()
    await f.db
      .insertInto('notebook_problems')
      .values({ notebook_id: 'nb-damaged', kind: 'update_corrupt', detail: 'corrupted update 7 skipped' })
      .execute()
    const page = owner.pages()[0] ?? (await owner.newPage())
    await page.getByRole('link', { name: 'Administration' }).click()
    const row = page.getByTestId('admin-users').locator('tr[data-email="victor@example.com"]')
    await row.getByRole('button', { name: 'Disable' }).click()
    await row.getByText('disabled').waitFor()
    await page.getByRole('heading', { name: 'Instance audit log' }).waitFor()
    // A corrupted stored update the document store skipped is shown to the administrator.
    await page.getByTestId('notebook-problems').getByText('corrupted update 7 skipped').waitFor()
    await shot(page, 'admin')
    const victim = viewer.pages()[0] ?? (await viewer.newPage())
    await victim.reload()
    await victim.getByRole('heading', { name: 'Sign in' }).waitFor()
  })

  it('creates an API token that is shown once and works as a Bearer token', async () => {
    const page = owner.pages()[0] ?? (await owner.newPage())
    await page.getByRole('link', { name: 'API tokens' }).click()
    await page.getByLabel('Token name').fill('notebook sync')
    await page.getByLabel('Scope').selectOption('read')
    await page.getByRole('button', { name: 'Create token' }).click()
    const token = (await page.getByTestId('new-token').textContent()) ?? ''
    expect(token).toMatch(/^wbt_/)
    await page.getByTestId('tokens').getByText('notebook sync').waitFor()
    const me = await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } })
    const body = (await me.json()) as { email: string }
    expect(body.email).toBe('olivia@example.com')
    await page.reload()
    await page.getByTestId('tokens').waitFor()
    expect(await page.getByTestId('new-token').count()).toBe(0)
    await shot(page, 'api-tokens')
  })
})
