import { describe, expect, it } from 'vitest'
import { documentedApp, openApiDocument } from '../src/http/openapi-document.ts'

const METHODS = ['get', 'put', 'post', 'patch', 'delete']

describe('OpenAPI document', () => {
  it('describes every registered /api route, and nothing that is not one', async () => {
    const app = documentedApp()
    const doc = await openApiDocument()
    const documented = new Set<string>()
    for (const [path, item] of Object.entries(doc.paths))
      for (const method of Object.keys(item))
        if (METHODS.includes(method)) documented.add(`${method.toUpperCase()} /api${path.replace(/\{(\w+)\}/g, ':$1')}`)
    const registered = new Set(
      app.routes.filter((r) => r.path.startsWith('/api/') && r.method !== 'ALL').map((r) => `${r.method} ${r.path}`),
    )
    expect([...registered].filter((route) => !documented.has(route)).sort()).toEqual([])
    expect([...documented].filter((route) => !registered.has(route)).sort()).toEqual([])
    expect(registered.size).toBeGreaterThan(100)
  })

  it('is OpenAPI 3.1 with a response schema for every success and the error shape for failures', async () => {
    const doc = await openApiDocument()
    expect(doc.openapi).toBe('3.1.0')
    const problems: string[] = []
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item as Record<string, { responses?: Record<string, unknown> }>)) {
        const statuses = Object.keys(op.responses ?? {})
        const success = statuses.filter((s) => s.startsWith('2') || s === '101')
        if (success.length === 0) problems.push(`${method} ${path}: no success response`)
        for (const status of success.filter((s) => s !== '204' && s !== '101')) {
          const response = op.responses?.[status] as { content?: Record<string, { schema?: unknown }> }
          const schemas = Object.values(response.content ?? {}).filter((media) => media.schema)
          if (schemas.length === 0) problems.push(`${method} ${path}: ${status} has no schema`)
        }
      }
    expect(problems).toEqual([])
  })
})
