import path from 'node:path'
import type { BrowserContext, Page, Route } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildWebApp,
  type LoopbackServer,
  launchBrowser,
  SCREENSHOT_DIR,
  serveOnLoopback,
  type TestBrowser,
} from '../../workbench/test/support/browser.ts'
import { createIdentityFixture, type IdentityFixture, PASSWORD } from '../../workbench/test/support/identity.ts'

/**
 * Two tabs of one browser whose access token expired at the same moment. The server's grace window is off here
 * (0 s), so only the tabs' own coordination keeps them from presenting one refresh token twice (reuse: both
 * signed out).
 */
describe('session refresh across tabs in Chromium', () => {
  let f: IdentityFixture
  let server: LoopbackServer
  let chromium: TestBrowser
  let context: BrowserContext

  beforeAll(async () => {
    const webDist = buildWebApp('session-refresh')
    f = await createIdentityFixture('pglite', {
      webDist,
      env: { TRUST_PROXY: 'false', AUTH_REFRESH_REUSE_GRACE_SECONDS: '0' },
    })
    server = await serveOnLoopback(f.app.fetch)
    chromium = await launchBrowser()
    context = await chromium.browser.newContext()
  })
  afterAll(async () => {
    await chromium?.close()
    await server?.close()
    await f?.dispose()
  })

  const signedIn = (page: Page) =>
    expect.poll(() => page.getByTestId('signed-in-as').textContent(), { timeout: 10_000 }).toBe('tabs@example.com')

  it('refreshes once for two tabs at once, and both stay signed in', async () => {
    const registered = await context.request.post(`${server.url}/api/auth/register`, {
      data: { email: 'tabs@example.com', name: 'Tabs', password: PASSWORD },
    })
    expect(registered.status()).toBe(201)
    const tabs = [await context.newPage(), await context.newPage()]
    await Promise.all(tabs.map((tab) => tab.goto(server.url)))
    for (const tab of tabs) await signedIn(tab)

    // Every refresh is held until a second one arrives (or 3 s pass), so uncoordinated tabs surely overlap.
    const refreshes: Route[] = []
    let releaseAll: () => void = () => {}
    const overlap = new Promise<void>((resolve) => {
      releaseAll = resolve
      setTimeout(resolve, 3_000)
    })
    await context.route('**/api/auth/refresh', async (route) => {
      refreshes.push(route)
      if (refreshes.length >= 2) releaseAll()
      await overlap
      await route.continue()
    })
    // The access token is gone in both tabs at once (as when it expires); both reload and find it missing.
    await context.clearCookies({ name: 'wb_access' })
    await Promise.all(tabs.map((tab) => tab.reload()))
    for (const tab of tabs) await signedIn(tab)
    expect(refreshes.length).toBe(1)
    // The session is alive for both: an API call from each tab succeeds.
    for (const tab of tabs) expect(await tab.evaluate(async () => (await fetch('/api/me')).status)).toBe(200)
    await tabs[1]?.screenshot({ path: path.join(SCREENSHOT_DIR, 'session-refresh-two-tabs.png'), fullPage: true })
    const reused = await f.db
      .selectFrom('refresh_tokens')
      .select('revoked_at')
      .where('revoked_at', 'is not', null)
      .execute()
    expect(reused).toEqual([])
  })
})
