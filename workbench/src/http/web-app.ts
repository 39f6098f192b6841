import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono } from 'hono'
import type { AppEnv } from './env.ts'

/**
 * Serves the built web app: its files, and `index.html` for any other non-API path so client-side
 * routes survive a reload.
 */
export function webAppRoutes(distDir: string) {
  const app = new Hono<AppEnv>()
  const indexFile = path.join(distDir, 'index.html')
  app.use('/*', serveStatic({ root: path.relative(process.cwd(), distDir) || '.' }))
  app.get('/*', async (c) => {
    if (c.req.path.startsWith('/api/')) return c.notFound()
    if (!existsSync(indexFile)) {
      return c.text('The web app is not built: run `npm run build:web` (npm start does it for you).', 503)
    }
    return c.html(await readFile(indexFile, 'utf8'))
  })
  return app
}
