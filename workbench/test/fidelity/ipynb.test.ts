import { spawnSync } from 'node:child_process'
import path from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createApp } from '../../src/app.ts'
import { DocumentStore } from '../../src/collab/document-store.ts'
import { findInexactNumbers, stringifyWithExactNumbers } from '../../src/notebooks/exact-numbers.ts'
import { EXACT_NUMBERS_MAP, notebookToUpdate, parseIpynb, updateToIpynbText } from '../../src/notebooks/ipynb.ts'
import { NotebookService } from '../../src/notebooks/notebook-service.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { createMembers } from '../support/members.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const REFERENCE = path.join(import.meta.dirname, 'nbformat-reference.py')

type ReadAnswer = { accepted: false; error: string } | { accepted: true; ids: (string | null)[]; warnings: string[] }
interface NumbersAnswer {
  metadata: string
  cells: { metadata: string; outputs: string }[]
}

/** Asks the real nbformat (Python, the shared venv) about each notebook text, in one process. */
function nbformatSays<T>(op: 'read' | 'numbers', texts: string[]): T[] {
  const res = spawnSync(path.join(ROOT, '.venv/bin/python'), [REFERENCE], {
    input: JSON.stringify(texts.map((text) => ({ op, text }))),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  if (res.status !== 0) throw new Error(`nbformat reference failed: ${res.stderr}`)
  return JSON.parse(res.stdout) as T[]
}

const code = (id: string | undefined, source = 'x = 1') => ({
  ...(id === undefined ? {} : { id }),
  cell_type: 'code',
  metadata: {},
  source,
  outputs: [],
  execution_count: null,
})
const markdown = (id: string | undefined) => ({
  ...(id === undefined ? {} : { id }),
  cell_type: 'markdown',
  metadata: {},
  source: '# hi',
})
const nb = (minor: number, cells: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ nbformat: 4, nbformat_minor: minor, metadata: {}, cells, ...extra })

/** Notebooks on both sides of nbformat's line, named for what they test. */
const CASES: [string, string][] = [
  ['4.5, every cell with an id', nb(5, [code('a'), markdown('b')])],
  ['4.5, cells without an id', nb(5, [code(undefined), markdown('b'), markdown(undefined)])],
  ['4.5, duplicate cell ids', nb(5, [code('same'), markdown('same'), code('other'), code('same')])],
  ['4.5, no ids and duplicates together', nb(5, [code(undefined), code('k'), code('k')])],
  ['4.4, no ids', nb(4, [code(undefined), markdown(undefined)])],
  ['4.0, no ids', nb(0, [markdown(undefined)])],
  ['4.99, a future minor', nb(99, [code('a'), markdown('b')])],
  [
    '4.99 with a property, a cell type and an output type 4.5 does not know',
    nb(99, [
      { ...code('a'), future_field: 1, outputs: [{ output_type: 'hologram', payload: 1 }] },
      { id: 'b', cell_type: 'diagram', metadata: {}, source: 'A -> B' },
      markdown(undefined),
    ]),
  ],
  ['4.5, a cell id that breaks the pattern', nb(5, [code('not an id')])],
  ['4.5, a cell property 4.5 does not know', nb(5, [{ ...code('a'), future_field: 1 }])],
  ['4.4, a cell with an id (4.4 has none)', nb(4, [code('a')])],
  ['4.5, a code cell without outputs', nb(5, [{ id: 'a', cell_type: 'code', metadata: {}, source: '' }])],
  ['4.5, an unknown cell type', nb(5, [{ id: 'a', cell_type: 'diagram', metadata: {}, source: '' }])],
  ['4.5, notebook metadata not an object', JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: 1, cells: [] })],
  ['nbformat 5', JSON.stringify({ nbformat: 5, nbformat_minor: 0, metadata: {}, cells: [] })],
  ['not JSON', '{"nbformat": 4,'],
]

/** Numbers JavaScript cannot hold as written, in every place a notebook keeps JSON. */
const NUMBERS_NOTEBOOK = `{
 "nbformat": 4, "nbformat_minor": 5,
 "metadata": {"big": 9007199254740993, "neg_big": -123456789012345678901234567890, "one": 1.0, "neg_zero": -0.0,
              "exp": 1e5, "exp_big": 1E+22, "fine": 1.5, "int": 42, "huge": 1e400, "list": [1.0, 2, -0.0],
              "deep": {"k\\"ey": [{"x": 2.0, "y": 18446744073709551617}]}},
 "cells": [
  {"id": "c1", "cell_type": "code", "metadata": {"threshold": 0.0, "seed": 12345678901234567891}, "source": "x",
   "execution_count": 1,
   "outputs": [
    {"output_type": "execute_result", "execution_count": 1, "metadata": {"application/json": {"expanded": 1.0}},
     "data": {"application/json": {"values": [1.0, 2.5, -0.0, 9007199254740993], "total": 3.0},
              "text/plain": ["{'values': [1.0, 2.5]}"]}},
    {"output_type": "display_data", "metadata": {}, "data": {"application/json": [100.0, 123456789012345678]}}
   ]},
  {"id": "c2", "cell_type": "markdown", "metadata": {"weight": 10.0}, "source": "# n"}
 ]
}`

describe('findInexactNumbers', () => {
  it('finds exactly the numbers a JavaScript round trip changes, with their paths', () => {
    const found = findInexactNumbers(
      '{"a": [1, 1.5, 1.0, -0.0, -0, 9007199254740993, 9007199254740992, 1e21, 1e20], "b\\\\": {"c": 2.0}, "d": "1.0"}',
    )
    expect(found).toEqual([
      { path: ['a', 2], text: '1.0' },
      { path: ['a', 3], text: '-0.0' },
      { path: ['a', 5], text: '9007199254740993' },
      { path: ['a', 8], text: '1e20' },
      { path: ['b\\', 'c'], text: '2.0' },
    ])
  })

  it('writes a number back as its source text only while it is unchanged', () => {
    const value = { a: [1, 2], b: 7 }
    const text = stringifyWithExactNumbers(value, [
      { path: ['a', 0], text: '1.0' },
      { path: ['a', 1], text: '2.0' },
      { path: ['b'], text: '5.0' }, // edited since: 7 now
      { path: ['gone', 0], text: '3.0' },
    ])
    expect(text).toBe('{"a":[1.0,2.0],"b":7}')
  })

  it('keeps the exact numbers of a cell moved elsewhere in the document', () => {
    const { notebook, exactNumbers } = parseIpynb(NUMBERS_NOTEBOOK)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, notebookToUpdate(notebook, exactNumbers))
    expect(doc.getMap(EXACT_NUMBERS_MAP).get('c1')).toBeDefined()
    // The second cell moves first: its numbers are keyed by cell id, not position.
    const cells = doc.getArray<Y.Map<unknown>>('cells')
    const second = cells.get(1).clone()
    doc.transact(() => {
      cells.delete(1, 1)
      cells.insert(0, [second])
    })
    const exported = updateToIpynbText(Y.encodeStateAsUpdate(doc))
    expect(JSON.parse(exported).cells[0].id).toBe('c2')
    expect(exported).toContain('"weight":10.0')
  })
})

describe.each(DATABASE_KINDS)('.ipynb fidelity against nbformat on %s', (kind) => {
  let database: TestDatabase
  let app: ReturnType<typeof createApp>
  let ws: string
  let token: string

  const importText = async (text: string) => {
    const res = await app.request(`/api/workspaces/${ws}/notebooks/import?name=n`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: text,
    })
    return { status: res.status, body: (await res.json()) as Record<string, any> }
  }
  const exportText = async (id: string) => {
    const res = await app.request(`/api/workspaces/${ws}/notebooks/${id}/export`, {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(res.status).toBe(200)
    return res.text()
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    const logger = pino({ level: 'silent' })
    const service = new NotebookService(database.db, new DocumentStore(database.db, logger))
    const members = createMembers(database)
    ws = await members.workspace()
    token = (await members.member(ws, 'editor')).token
    app = createApp({
      identity: members.identity,
      logger,
      readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
      notebooks: () => service,
      maxImportBytes: 300_000,
    })
  })
  afterAll(async () => {
    await database?.dispose()
  })

  // Two runs of the Python reference and 16 imports: generous on a loaded machine.
  it('accepts and refuses the notebooks nbformat accepts and refuses, and repairs cell ids as it does', {
    timeout: 240_000,
  }, async () => {
    const reference = nbformatSays<ReadAnswer>(
      'read',
      CASES.map(([, text]) => text),
    )
    const exports: string[] = []
    for (const [index, [name, text]] of CASES.entries()) {
      const theirs = reference[index]
      const ours = await importText(text)
      expect({ name, accepted: ours.status === 201 }).toEqual({ name, accepted: theirs?.accepted })
      if (!theirs?.accepted) {
        expect(ours.body.code, name).toBe('invalid_ipynb')
        continue
      }
      const exported = JSON.parse(await exportText(ours.body.id))
      const ids: string[] = exported.cells.map((cell: { id: string }) => cell.id)
      expect(new Set(ids).size, `${name}: ids unique`).toBe(ids.length)
      for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9-_]{1,64}$/)
      const source = JSON.parse(text)
      if (source.nbformat_minor >= 5) {
        // Where nbformat kept a cell's id we keep it; where it generated one we do (ids are random on both sides).
        theirs.ids.forEach((theirId, i) => {
          const kept = theirId === source.cells[i].id
          if (kept) expect(ids[i], `${name}: cell ${i}`).toBe(theirId)
          else expect(ids[i], `${name}: cell ${i}`).not.toBe(source.cells[i].id)
        })
        // Repairs are reported, as nbformat warns of them.
        expect(ours.body.warnings.length > 0, name).toBe(theirs.warnings.length > 0 || source.nbformat_minor > 5)
      }
      exports.push(JSON.stringify(exported))
    }
    // What we export, nbformat reads back as valid.
    expect(nbformatSays<ReadAnswer>('read', exports).filter((answer) => !answer.accepted)).toEqual([])
  })

  it('imports a future minor version as 4.5 with a warning, keeping what 4.5 can hold', async () => {
    const future = CASES.find(([name]) => name.startsWith('4.99 with'))?.[1] ?? ''
    const created = await importText(future)
    expect(created.status).toBe(201)
    expect(created.body.warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('nbformat 4.99, newer than 4.5'),
        expect.stringContaining("cell type 'diagram', kept as a raw cell"),
        expect.stringContaining("output of type 'hologram', dropped"),
      ]),
    )
    const exported = JSON.parse(await exportText(created.body.id))
    expect(exported.nbformat_minor).toBe(5)
    expect(exported.cells.map((c: { cell_type: string }) => c.cell_type)).toEqual(['code', 'raw', 'markdown'])
    expect(exported.cells[1].source).toBe('A -> B')
    expect(exported.cells[0].outputs).toEqual([])
  })

  it('exports every number of metadata and outputs exactly as nbformat reads it from the original', {
    timeout: 180_000,
  }, async () => {
    const created = await importText(NUMBERS_NOTEBOOK)
    expect(created.status).toBe(201)
    const exported = await exportText(created.body.id)
    const [original, roundTripped] = nbformatSays<NumbersAnswer>('numbers', [NUMBERS_NOTEBOOK, exported])
    expect(roundTripped).toEqual(original)
    // The source text of the numbers, not just their values.
    for (const text of ['9007199254740993', '-123456789012345678901234567890', '1.0', '-0.0', '1e5', '1e400']) {
      expect(exported).toContain(text)
    }
    expect(exported).toContain('"values":[1.0,2.5,-0.0,9007199254740993],"total":3.0')
    expect(exported).toContain('"seed":12345678901234567891')
    expect(exported).toContain('[100.0,123456789012345678]')
    expect(exported).toContain('"weight":10.0')
    expect(validateWithNbformat(exported)).toBe('valid')
    // A copy keeps them too.
    const copy = await app.request(`/api/workspaces/${ws}/notebooks/${created.body.id}/duplicate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(copy.status).toBe(201)
    const copied = await exportText(((await copy.json()) as { id: string }).id)
    expect(copied).toBe(exported)
  })
})

function validateWithNbformat(text: string): string {
  const res = spawnSync(
    path.join(ROOT, '.venv/bin/python'),
    ['-c', 'import nbformat, sys; nbformat.validate(nbformat.reads(sys.stdin.read(), as_version=4)); print("valid")'],
    { input: text, encoding: 'utf8' },
  )
  return (res.stdout + res.stderr).trim()
}
