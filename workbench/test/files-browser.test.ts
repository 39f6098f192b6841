import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildWebApp,
  type LoopbackServer,
  launchBrowser,
  SCREENSHOT_DIR,
  serveOnLoopback,
  type TestBrowser,
} from './support/browser.ts'
import { createFilesFixture, type FilesFixture } from './support/files.ts'

const _ROOT = path.resolve(import.meta.dirname, '../..')
const PASSWORD = 'files browser password 123'
const BAD_CSV = 'id,amount,name\n1,10,a\n2,x,b\n3,30\n4,40,"bro"ken\n5,50,e,extra\n6,60,"multi\nline"\n7,70,g\n'

/** Real Chromium against the real API and the built web app: upload a CSV with bad rows and see them reported. */
describe('files in the browser', () => {
  let f: FilesFixture
  let server: LoopbackServer
  let url: string
  let chromium: TestBrowser
  let workspaceId: string

  beforeAll(async () => {
    const webDist = buildWebApp('files')
    f = await createFilesFixture('pglite', { webDist })
    const user = await f.members.identity.users.create({ email: 'uma@example.com', name: 'Uma', password: PASSWORD })
    workspaceId = await f.members.workspace('Sales')
    await f.database.db
      .insertInto('memberships')
      .values({ workspace_id: workspaceId, user_id: user.id, role: 'editor' })
      .execute()
    server = await serveOnLoopback(f.app.fetch)
    url = server.url
    chromium = await launchBrowser()
  })
  afterAll(async () => {
    await chromium?.close()
    await server?.close()
    await f?.dispose()
  })

  it('uploads a CSV with a bad row, shows the problems, and reports rejected rows after import', async () => {
    const context = await chromium.browser.newContext()
    const page = await context.newPage()
    await page.goto(url)
    await page.getByLabel('Email').fill('uma@example.com')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByTestId('signed-in-as').waitFor()
    await page.goto(`${url}/#/w/${workspaceId}/files`)
    await page.getByRole('heading', { name: 'Data files' }).waitFor()

    await page
      .getByLabel('Choose a file to upload')
      .setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD_CSV) })
    await page.getByRole('heading', { name: 'Preview of orders.csv' }).waitFor()
    const problems = page.getByTestId('problems')
    await expect.poll(() => problems.textContent()).toContain('Wrong number of fields line 4')
    expect(await problems.textContent()).toContain('Broken quote line 5')
    expect(await problems.textContent()).toContain('Mixed types row 2 (column amount)')

    // The user accepts the hint: amount is a number, and the column gets a better name.
    await page.getByLabel('Type of column 2').selectOption('BIGINT')
    await page.getByLabel('Name of column 3').fill('label')
    await page.getByLabel('Table name').fill('orders')
    await page.getByRole('button', { name: 'Import' }).click()
    const result = page.getByTestId('import-result')
    await expect.poll(() => result.textContent()).toContain('Imported into orders: 3 rows loaded, 4 rows rejected')
    const rejects = (await page.getByTestId('rejects').textContent()) ?? ''
    expect(rejects).toContain('line 3')
    expect(rejects).toContain('Could not convert string "x"')
    expect(rejects).toContain('line 6')
    await expect.poll(() => page.getByTestId('tables').textContent()).toContain('main.orders: 3 rows')
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'files-import-result.png'), fullPage: true })
    await context.close()
  })
})
