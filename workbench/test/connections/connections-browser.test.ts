import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildWebApp,
  type LoopbackServer,
  launchBrowser,
  SCREENSHOT_DIR,
  serveOnLoopback,
  type TestBrowser,
} from '../support/browser.ts'
import { type ConnectionsFixture, createConnectionsFixture } from '../support/connections.ts'
import { PASSWORD } from '../support/identity.ts'
import { type PostgresServer, startPostgresServer } from '../support/postgres-server.ts'

const _ROOT = path.resolve(import.meta.dirname, '../../..')
const DB_PASSWORD = 'browser-db-password-7'
const ACCOUNT_PASSWORD = 'browser account password 1'

/** Real Chromium against the real API, the built web app and a PostgreSQL that checks passwords. */
describe('connections in the browser', () => {
  let x: ConnectionsFixture
  let pgServer: PostgresServer
  let server: LoopbackServer
  let url: string
  let chromium: TestBrowser
  let page: Page

  beforeAll(async () => {
    const webDist = buildWebApp('connections')
    pgServer = await startPostgresServer({ password: DB_PASSWORD })
    x = await createConnectionsFixture('pglite', { webDist })
    x.f.secrets.add(DB_PASSWORD)
    server = await serveOnLoopback(x.f.app.fetch)
    url = server.url
    chromium = await launchBrowser()
    page = await (await chromium.browser.newContext()).newPage()
  })
  afterAll(async () => {
    await chromium?.close()
    await server?.close()
    await x?.dispose()
    pgServer?.stop()
  })

  const shot = (name: string) =>
    page.screenshot({ path: path.join(SCREENSHOT_DIR, `connections-${name}.png`), fullPage: true })

  it('creates a PostgreSQL connection, tests it, and shows a wrong password precisely', async () => {
    await page.goto(`${url}/#/register`)
    await page.getByLabel('Name').fill('Dana Data')
    await page.getByLabel('Email').fill('dana@example.com')
    await page.getByLabel('Password (at least 12 characters)').fill(ACCOUNT_PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe('dana@example.com')
    await page.getByRole('button', { name: 'New workspace', exact: true }).click()
    await page.getByLabel('New workspace name').fill('Sources')
    await page.getByRole('button', { name: 'Create workspace' }).click()
    await page.getByRole('link', { name: 'Connections' }).click()
    await page.getByRole('heading', { name: 'Connections' }).waitFor()

    await page.getByRole('button', { name: 'New PostgreSQL connection' }).click()
    const form = page.getByRole('form', { name: 'Connection' })
    await form.getByLabel('Connection name').fill('Warehouse')
    await form.getByLabel('Host name or IP address').fill('127.0.0.1')
    await form.getByLabel('Port').fill(new URL(pgServer.url).port)
    await form.getByLabel('Database').fill('postgres')
    await form.getByLabel('User').fill('postgres')
    await form.getByLabel('TLS').selectOption('disable')

    await form.getByLabel('Password').fill('definitely-wrong-pw')
    await form.getByRole('button', { name: 'Test connection' }).click()
    const result = form.getByTestId('test-result')
    await expect.poll(() => result.getAttribute('data-code')).toBe('authentication_failed')
    expect(await result.textContent()).toMatch(/authentication_failed: .*refused the user postgres/)
    await shot('wrong-password')

    // Saving with the wrong password refuses and saves nothing, offering to save anyway.
    await form.getByRole('button', { name: 'Save', exact: true }).click()
    await form.getByRole('button', { name: 'Save anyway' }).waitFor()
    expect(await form.getByRole('alert').last().getAttribute('data-code')).toBe('authentication_failed')

    await form.getByLabel('Password').fill(DB_PASSWORD)
    await form.getByRole('button', { name: 'Test connection' }).click()
    await expect.poll(async () => (await result.textContent()) ?? '').toMatch(/^Connected: PostgreSQL \d+/)
    await form.getByRole('button', { name: 'Save', exact: true }).click()
    const table = page.getByTestId('connections')
    await table.getByRole('cell', { name: 'Warehouse' }).waitFor()
    expect(await table.textContent()).toContain('read-only')
    expect(await page.content()).not.toContain(DB_PASSWORD)

    // Editing shows the password only as set, and keeps it when left empty.
    await table.getByRole('button', { name: 'Edit' }).click()
    expect(await page.getByTestId('secret-password').textContent()).toContain('set; leave empty to keep')
    await page.getByRole('form', { name: 'Connection' }).getByRole('button', { name: 'Test connection' }).click()
    await expect
      .poll(async () => (await page.getByTestId('test-result').textContent()) ?? '')
      .toMatch(/^Connected: PostgreSQL/)
    await shot('edit')
    await page.getByRole('form', { name: 'Connection' }).getByRole('button', { name: 'Save', exact: true }).click()

    page.once('dialog', (dialog) => void dialog.accept())
    await table.getByRole('button', { name: 'Delete' }).click()
    await page.getByText('No connections yet.').waitFor()
  })

  it('lets an instance admin edit the allowed networks, refusing a bad entry and saving nothing then', async () => {
    await x.f.db.updateTable('users').set({ is_instance_admin: true }).where('email', '=', 'dana@example.com').execute()
    await page.reload()
    await page.getByRole('link', { name: 'Administration' }).click()
    const form = page.getByRole('form', { name: 'Allowed networks' })
    const networks = form.getByLabel('Networks (one per line)')
    await networks.fill('10.20.0.0/16\nnot-a-network')
    await form.getByRole('button', { name: 'Save networks' }).click()
    const problem = form.getByRole('alert')
    await expect.poll(() => problem.getAttribute('data-code')).toBe('validation_failed')
    expect(await problem.textContent()).toContain('networks.1')
    // Unchanged: still the loopback entries the fixture allowed for the test's PostgreSQL.
    expect((await x.as.owner.get('/api/admin/connections/allowed-networks')).body).toEqual({
      networks: ['127.0.0.0/8', '::1/128'],
    })

    await networks.fill('10.20.0.0/16\n\n192.168.7.1')
    await form.getByRole('button', { name: 'Save networks' }).click()
    await expect
      .poll(async () => (await x.as.owner.get('/api/admin/connections/allowed-networks')).body)
      .toEqual({ networks: ['10.20.0.0/16', '192.168.7.1'] })
    await page.reload()
    await expect.poll(() => page.getByLabel('Networks (one per line)').inputValue()).toBe('10.20.0.0/16\n192.168.7.1')
    await shot('allowed-networks')
  })

  it('shows an editor the connections to use, without the controls to manage them', async () => {
    const saved = await x.as.admin.post(x.base, {
      name: 'Shared warehouse',
      type: 'postgres',
      // The allow-list was just replaced above: saved untested.
      saveAnyway: true,
      params: {
        host: '127.0.0.1',
        port: Number(new URL(pgServer.url).port),
        database: 'postgres',
        user: 'postgres',
        password: DB_PASSWORD,
        sslMode: 'disable',
      },
    })
    expect(saved.status, saved.text).toBe(201)
    const editor = await x.f.db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select('u.email')
      .where('m.workspace_id', '=', x.workspaceId)
      .where('m.role', '=', 'editor')
      .executeTakeFirstOrThrow()
    const editorPage = await (await chromium.browser.newContext()).newPage()
    await editorPage.goto(`${url}/#/`)
    await editorPage.getByRole('heading', { name: 'Sign in' }).waitFor()
    await editorPage.getByLabel('Email').fill(editor.email)
    await editorPage.getByLabel('Password').fill(PASSWORD)
    await editorPage.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => editorPage.getByTestId('signed-in-as').textContent()).toBe(editor.email)
    await editorPage.getByLabel('Workspace', { exact: true }).selectOption({ label: 'Data (editor)' })
    await editorPage.getByRole('link', { name: 'Connections' }).click()
    const table = editorPage.getByTestId('connections')
    await table.getByRole('cell', { name: 'Shared warehouse' }).waitFor()
    await editorPage.getByText('Workspace admins add and change connections.').waitFor()
    expect(await editorPage.getByRole('button', { name: 'New PostgreSQL connection' }).count()).toBe(0)
    expect(await table.getByRole('button', { name: 'Edit' }).count()).toBe(0)
    expect(await table.getByRole('button', { name: 'Delete' }).count()).toBe(0)
    await editorPage.screenshot({ path: path.join(SCREENSHOT_DIR, 'connections-editor.png'), fullPage: true })
  })
})
