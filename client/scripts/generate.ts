// `npm run generate:client`: dumps the OpenAPI document from the app in-process (no server, no database) and
// regenerates the client's types from it.
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { openApiDocument } from '@workbench/server/openapi'
import { documentText, generateTypes } from './generate-types.ts'

export const CLIENT_DIR = path.resolve(import.meta.dirname, '..')
export const TYPES_FILE = path.join(CLIENT_DIR, 'src', 'generated', 'openapi.ts')
export const DOCUMENT_FILE = path.join(CLIENT_DIR, 'openapi.json')

const doc = await openApiDocument()
await writeFile(DOCUMENT_FILE, documentText(doc))
await writeFile(TYPES_FILE, await generateTypes(doc))
console.log(`wrote ${path.relative(process.cwd(), DOCUMENT_FILE)} and ${path.relative(process.cwd(), TYPES_FILE)}`)
