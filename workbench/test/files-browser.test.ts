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

  it('offers quote, escape and decimal options, shows the line count, and asks before deleting a file', async () => {
    const context = await chromium.browser.newContext()
    const page = await context.newPage()
    await page.goto(url)
    await page.getByLabel('Email').fill('uma@example.com')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByTestId('signed-in-as').waitFor()
    await page.goto(`${url}/#/w/${workspaceId}/files`)
    await page.getByRole('heading', { name: 'Data files' }).waitFor()

    // A European export: semicolons, decimal commas, values quoted with ' and escaped with a backslash.
    page.setDefaultTimeout(10_000)
    const csv = "id;price;note\n1;1,5;'a; b'\n2;2,25;'it\\'s'\n3;10,75;'c'\n"
    await page
      .getByLabel('Choose a file to upload')
      .setInputFiles({ name: 'prices.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
    await page.getByRole('heading', { name: 'Preview of prices.csv' }).waitFor()
    expect(await page.getByLabel('Decimal separator').inputValue()).toBe(',')
    // Read with " quotes, the quoted "a; b" splits in two: a problem until the right quote is chosen.
    await expect.poll(() => page.getByTestId('problems').textContent()).toContain('Wrong number of fields')
    await page.getByLabel('Quote character').selectOption("'")
    await page.getByLabel('Escape character').selectOption('\\')
    await expect.poll(() => page.getByRole('heading', { name: /Problems found/ }).textContent()).toContain(': 0')
    expect(await page.getByTestId('preview').textContent()).toContain("it's")
    expect(await page.getByLabel('Type of column 2').inputValue()).toBe('DOUBLE')
    expect(await page.getByLabel('Type of column 1').locator('option').allTextContents()).toEqual(
      expect.arrayContaining(['TIMESTAMP WITH TIME ZONE', 'TIME', 'DECIMAL(18,3)', 'UUID']),
    )

    await page.getByLabel('Table name').fill('prices')
    await page.getByRole('button', { name: 'Import' }).click()
    const result = page.getByTestId('import-result')
    await expect.poll(() => result.textContent()).toContain('Imported into prices: 3 rows loaded, 0 rows rejected')
    expect(await page.getByTestId('import-lines').textContent()).toContain('The file has 4 lines')
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'files-options.png'), fullPage: true })

    // Delete asks first: dismissed, the file stays; accepted, it goes.
    const files = page.getByTestId('files')
    const dialogs: string[] = []
    page.once('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await page.getByRole('button', { name: 'Delete prices.csv' }).click()
    await expect.poll(() => dialogs.length).toBe(1)
    expect(dialogs[0]).toContain('Delete the file prices.csv?')
    expect(await files.textContent()).toContain('prices.csv')
    page.once('dialog', (dialog) => void dialog.accept())
    await page.getByRole('button', { name: 'Delete prices.csv' }).click()
    await expect.poll(() => page.getByRole('button', { name: 'Delete prices.csv' }).count()).toBe(0)
    await context.close()
  })
})
