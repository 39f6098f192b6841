import path from 'node:path'
import { type Browser, chromium } from 'playwright-core'

/** Debian's Chromium, installed by the bootstrap for tests; playwright never downloads a browser here. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

export interface TestBrowser {
  browser: Browser
  close(): Promise<void>
}

/**
 * Headless Chromium for browser tests, with the flags this machine needs (no sandbox as root, no
 * background networking: there is no internet to reach). Playwright gives each launch a fresh profile
 * folder of its own and deletes it on close (it refuses a `--user-data-dir` flag).
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
  return {
    browser,
    close: async () => {
      await browser.close()
    },
  }
}

/** Where browser tests save screenshots, so a person can look at what users saw. */
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../../test-results/screenshots')
