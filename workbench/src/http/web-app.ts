import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono } from 'hono'
import type { AppEnv } from './env.ts'

/**
 * Paths the single-page app never owns: the API, MCP, websockets and the built assets. A miss under them is a
 * 404, never the app's index.html (a wrong API URL must not answer 200 with HTML, a missing chunk must not be
 * parsed as JavaScript).
 */
const NOT_APP = /^\/(api|mcp|ws|assets)(\/|$)/

/** A request for a file (`/favicon.ico`, `/x.js.map`): the last segment has an extension. */
const FILE_LIKE = /\/[^/]*\.[a-z0-9]+$/i

/**
 * Serves the built web app: its files, and `index.html` for the app's own history-API URLs
 * (`/w/:id/notebooks/:nb?cell=…`, `/w/:id/catalog?q=…`) so deep links and reloads work.
 *
 * @example
 * app.route('/', webAppRoutes('web/dist'))
 */
export function webAppRoutes(distDir: string) {
  const app = new Hono<AppEnv>()
  const indexFile = path.join(distDir, 'index.html')
  app.use('/*', serveStatic({ root: path.relative(process.cwd(), distDir) || '.' }))
  app.get('/*', async (c) => {
    if (NOT_APP.test(c.req.path) || FILE_LIKE.test(c.req.path)) return c.notFound()
    if (!existsSync(indexFile)) {
      return c.text('The web app is not built: run `npm run build:web` (npm start does it for you).', 503)
    }
    // The shell must not be cached past a deploy: its asset names change with every build.
    c.header('Cache-Control', 'no-cache')
    return c.html(await readFile(indexFile, 'utf8'))
  })
  return app
}
