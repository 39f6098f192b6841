import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import { type Browser, chromium } from 'playwright-core'

const ROOT = path.resolve(import.meta.dirname, '../../..')

/** Debian's Chromium, installed by the bootstrap for tests; playwright never downloads a browser here. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

export interface TestBrowser {
  browser: Browser
  close(): Promise<void>
}

/**
 * Headless Chromium for browser tests, with the flags this machine needs (no sandbox as root, no
 * background networking: there is no internet to reach) Playwright gives each launch a fresh profile.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
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
    close: () => browser.close(),
  }
}

/** Where browser tests save screenshots, so a person can look at what users saw. */
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../../test-results/screenshots')

/**
 * Builds the web app into `test-results/<name>-web-dist` and returns that folder. Each browser test file
 * builds its own: test files run in parallel, and two builds must not write one folder.
 */
export function buildWebApp(name: string): string {
  const outDir = path.join(ROOT, 'test-results', `${name}-web-dist`)
  const build = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', outDir],
    {
      cwd: path.join(ROOT, 'web'),
      encoding: 'utf8',
    },
  )
  if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}\n${build.stderr}`)
  return outDir
}

export interface LoopbackServer {
  url: string
  server: ServerType
  close(): Promise<void>
}

/** Serves an app's `fetch` over HTTP on a free loopback port, for a browser to reach. */
export async function serveOnLoopback(
  fetch: (request: Request) => Response | Promise<Response>,
): Promise<LoopbackServer> {
  const server = createAdaptorServer({ fetch })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
