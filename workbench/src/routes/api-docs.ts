import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { Hono } from 'hono'
import { authorize, can } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Workbench API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>`

// A separate file rather than an inline script, so the page works under a strict Content-Security-Policy.
const INIT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true });`

/**
 * `/docs`: interactive API docs from the generated OpenAPI document. Swagger UI's files are served
 * from the installed package, so the page needs nothing from the internet.
 */
export function apiDocsRoutes(identity: Identity) {
  const open = authorize(identity, can.public, 'docs.read')
  const require = createRequire(import.meta.url)
  const assetDir = path.dirname(require.resolve('swagger-ui-dist/package.json'))
  return new Hono<AppEnv>()
    .get('/docs', open, (c) => c.html(PAGE))
    .get('/docs/init.js', open, (c) => c.body(INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }))
    .get('/docs/assets/:file', open, async (c) => {
      const file = c.req.param('file')
      const type = ASSETS[file]
      if (!type) return c.notFound()
      const body = await readFile(path.join(assetDir, file))
      return c.body(body, 200, { 'Content-Type': type, 'Cache-Control': 'public, max-age=86400' })
    })
}
