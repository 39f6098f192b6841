import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { openApiDocument } from '@workbench/server/openapi'
import { describe, expect, it } from 'vitest'
import { documentText, generateTypes } from '../scripts/generate-types.ts'

const CLIENT_DIR = path.resolve(import.meta.dirname, '..')

describe('@workbench/client', () => {
  it('is generated from the current OpenAPI document (run `npm run generate:client` when this fails)', async () => {
    const doc = await openApiDocument()
    const committedDocument = await readFile(path.join(CLIENT_DIR, 'openapi.json'), 'utf8')
    const committedTypes = await readFile(path.join(CLIENT_DIR, 'src', 'generated', 'openapi.ts'), 'utf8')
    // Compared as text, but a mismatch is reported as which paths differ rather than a 17,000-line diff.
    const committed = JSON.parse(committedDocument) as { paths: Record<string, unknown> }
    const changed = [...new Set([...Object.keys(doc.paths), ...Object.keys(committed.paths)])].filter(
      (p) => JSON.stringify(doc.paths[p]) !== JSON.stringify(committed.paths[p]),
    )
    expect(changed).toEqual([])
    expect(committedDocument === documentText(doc), 'client/openapi.json is stale').toBe(true)
    expect(committedTypes === (await generateTypes(doc)), 'client/src/generated/openapi.ts is stale').toBe(true)
  })
})
