import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { DocumentStore } from '../src/collab/document-store.ts'
import { NotebookService } from '../src/notebooks/notebook-service.ts'
import { NOTEBOOK_TEMPLATES } from '../src/notebooks/templates.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'
import { createMembers } from './support/members.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const CORPUS = path.join(import.meta.dirname, 'fixtures', 'notebooks')
const corpus = readdirSync(CORPUS).filter((f) => f.endsWith('.ipynb'))

/** nbformat stores a multi-line string as a string or as a list of lines: the same value either way. */
function joinLines(value: unknown): unknown {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join('') : value
}

function joinBundle(bundle: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return bundle && Object.fromEntries(Object.entries(bundle).map(([mime, v]) => [mime, joinLines(v)]))
}

/**
 * The notebook with multi-line strings joined, and the one rewrite JupyterLab's model (@jupyter/ydoc)
 * makes on load: legacy `collapsed` is mirrored into `jupyter.outputs_hidden`.
 */
function normalize(notebook: any): any {
  return {
    ...notebook,
    cells: notebook.cells.map((cell: any) => {
      const metadata = { ...cell.metadata }
      if (
        metadata.jupyter &&
        metadata.jupyter.outputs_hidden === metadata.collapsed &&
        Object.keys(metadata.jupyter).length === 1
      ) {
        delete metadata.jupyter
      }
      return {
        ...cell,
        metadata,
        source: joinLines(cell.source),
        ...(cell.attachments
          ? {
              attachments: Object.fromEntries(
                Object.entries(cell.attachments).map(([k, b]: [string, any]) => [k, joinBundle(b)]),
              ),
            }
          : {}),
        ...(cell.outputs
          ? {
              outputs: cell.outputs.map((o: any) => ({
                ...o,
                ...(o.text !== undefined ? { text: joinLines(o.text) } : {}),
                ...(o.data ? { data: joinBundle(o.data) } : {}),
              })),
            }
          : {}),
      }
    }),
  }
}

/** The reference implementation's opinion: nbformat (Python) validates the exported file. */
function validateWithNbformat(text: string): string {
  const res = spawnSync(
    path.join(ROOT, '.venv/bin/python'),
    ['-c', 'import nbformat, sys; nbformat.validate(nbformat.reads(sys.stdin.read(), as_version=4)); print("valid")'],
    { input: text, encoding: 'utf8' },
  )
  return (res.stdout + res.stderr).trim()
}

describe.each(DATABASE_KINDS)('notebooks API on %s', (kind) => {
  let database: TestDatabase
  let app: ReturnType<typeof createApp>
  let ws: string
  let listWs: string
  let token: string
  let listToken: string
  let viewerToken: string

  const call = async (method: string, url: string, body?: unknown, raw?: string) => {
    const res = await app.request(`/api/workspaces/${ws}${url}`, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers, text }
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    const logger = pino({ level: 'silent' })
    const service = new NotebookService(database.db, new DocumentStore(database.db, logger))
    const members = createMembers(database)
    ws = await members.workspace()
    listWs = await members.workspace()
    token = (await members.member(ws, 'editor')).token
    viewerToken = (await members.member(ws, 'viewer')).token
    listToken = (await members.member(listWs, 'editor')).token
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

  it.each(corpus)('imports and exports %s unchanged', async (file) => {
    const original = readFileSync(path.join(CORPUS, file), 'utf8')
    const created = await call('POST', `/notebooks/import?name=${encodeURIComponent(file)}`, undefined, original)
    expect(created.status).toBe(201)
    const exported = await call('GET', `/notebooks/${created.body.id}/export`)
    expect(exported.status).toBe(200)
    expect(exported.headers.get('Content-Disposition')).toBe(`attachment; filename="${file}.ipynb"`)
    expect(normalize(exported.body)).toEqual(normalize(JSON.parse(original)))
    expect(validateWithNbformat(exported.text)).toBe('valid')
  })

  it('upgrades an nbformat 4.4 notebook (no cell ids) to 4.5', async () => {
    const old = {
      nbformat: 4,
      nbformat_minor: 4,
      metadata: {},
      cells: [{ cell_type: 'markdown', metadata: {}, source: 'hi' }],
    }
    const created = await call('POST', '/notebooks/import?name=old', undefined, JSON.stringify(old))
    expect(created.status).toBe(201)
    const exported = await call('GET', `/notebooks/${created.body.id}/export`)
    expect(exported.body.nbformat_minor).toBe(5)
    expect(exported.body.cells[0].id).toMatch(/^[a-f0-9]{8}$/)
    expect(validateWithNbformat(exported.text)).toBe('valid')
  })

  it('refuses malformed, foreign-format and oversized files, storing nothing', async () => {
    const count = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from notebooks`.execute(database.db)).rows[0]?.n)
    const before = await count()
    const notJson = await call('POST', '/notebooks/import?name=x', undefined, '{"nbformat": 4, "cells": [')
    expect(notJson.status).toBe(400)
    expect(notJson.body).toMatchObject({ code: 'invalid_ipynb', message: expect.stringContaining('not JSON') })
    const v3 = await call(
      'POST',
      '/notebooks/import?name=x',
      undefined,
      JSON.stringify({ nbformat: 3, worksheets: [] }),
    )
    expect(v3.body).toMatchObject({
      code: 'invalid_ipynb',
      message: expect.stringContaining('nbformat 3 is not supported'),
    })
    const badCell = await call(
      'POST',
      '/notebooks/import?name=x',
      undefined,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [{ id: 'a', cell_type: 'code', source: 1 }],
      }),
    )
    expect(badCell.status).toBe(400)
    expect(badCell.body.details.problems.length).toBeGreaterThan(0)
    const huge = await call('POST', '/notebooks/import?name=x', undefined, 'x'.repeat(400_000))
    expect(huge.status).toBe(413)
    expect(huge.body.code).toBe('ipynb_too_large')
    expect(await count()).toBe(before)
  })

  it('creates notebooks from every template, each a valid notebook', async () => {
    const templates = await call('GET', '/../../notebook-templates')
    expect(templates.body.map((t: { id: string }) => t.id)).toEqual(NOTEBOOK_TEMPLATES.map((t) => t.id))
    for (const template of NOTEBOOK_TEMPLATES) {
      const created = await call('POST', '/notebooks', { name: template.name, template: template.id })
      expect(created.status).toBe(201)
      const exported = await call('GET', `/notebooks/${created.body.id}/export`)
      expect(validateWithNbformat(exported.text)).toBe('valid')
      expect(exported.body.cells.length).toBe(template.notebook.cells.length)
    }
    expect((await call('POST', '/notebooks', { name: 'x', template: 'nope' })).body.code).toBe('unknown_template')
  })

  it('lists by folder, searches names and content, pages, renames, moves and duplicates', async () => {
    const local = (method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> =>
      Promise.resolve(
        app.request(`/api/workspaces/${listWs}${url}`, {
          method,
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${listToken}` },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      ).then(async (r: Response) => ({ status: r.status, body: r.status === 204 ? undefined : await r.json() }))
    const a = (await local('POST', '/notebooks', { name: 'Revenue 2026', folder: '/finance/' })).body
    await local('POST', '/notebooks', { name: 'Churn', folder: 'finance', template: 'sql-exploration' })
    await local('POST', '/notebooks', { name: 'Scratch' })
    expect((await local('GET', '/notebooks?folder=finance')).body.items.map((n: { name: string }) => n.name)).toEqual([
      'Churn',
      'Revenue 2026',
    ])
    expect((await local('GET', '/notebooks?q=revenue')).body.items.map((n: { name: string }) => n.name)).toEqual([
      'Revenue 2026',
    ])
    // Content search: the template's SQL mentions duckdb_tables().
    expect((await local('GET', '/notebooks?q=duckdb_tables')).body.items.map((n: { name: string }) => n.name)).toEqual([
      'Churn',
    ])
    expect((await local('GET', '/notebooks?q=100%25')).body.items).toEqual([])
    const page = await local('GET', '/notebooks?limit=2&offset=2')
    expect(page.body.total).toBe(3)
    expect(page.body.items).toHaveLength(1)

    const moved = await local('PATCH', `/notebooks/${a.id}`, { name: 'Revenue FY26', folder: 'finance/archive' })
    expect(moved.body).toMatchObject({ name: 'Revenue FY26', folder: 'finance/archive' })
    const copy = await local('POST', `/notebooks/${a.id}/duplicate`)
    expect(copy.status).toBe(201)
    expect(copy.body).toMatchObject({ name: 'Revenue FY26 (copy)', folder: 'finance/archive' })
    expect((await local('PATCH', `/notebooks/${a.id}`, { name: '' })).body.code).toBe('validation_failed')
  })

  it('deletes softly, restores within 30 days, and not after', async () => {
    const created = (await call('POST', '/notebooks', { name: 'To delete' })).body
    expect((await call('DELETE', `/notebooks/${created.id}`)).status).toBe(204)
    expect((await call('GET', `/notebooks/${created.id}`)).status).toBe(404)
    const deleted = await call('GET', '/notebooks?deleted=true')
    expect(deleted.body.items.map((n: { id: string }) => n.id)).toContain(created.id)
    const restored = await call('POST', `/notebooks/${created.id}/restore`)
    expect(restored.status).toBe(200)
    expect(restored.body.deletedAt).toBeNull()

    await call('DELETE', `/notebooks/${created.id}`)
    await database.db
      .updateTable('notebooks')
      .set({ deleted_at: sql<Date>`now() - interval '31 days'` })
      .where('id', '=', created.id)
      .execute()
    const expired = await call('POST', `/notebooks/${created.id}/restore`)
    expect(expired.status).toBe(410)
    expect(expired.body.code).toBe('notebook_restore_expired')
  })

  it('never shows a notebook through another workspace, and lets viewers read but not change', async () => {
    const created = (await call('POST', '/notebooks', { name: 'Private' })).body
    const asOther = { headers: { Authorization: `Bearer ${listToken}` } }
    const viaOwnWorkspace = await app.request(`/api/workspaces/${listWs}/notebooks/${created.id}`, asOther)
    expect(viaOwnWorkspace.status).toBe(404)
    expect(await viaOwnWorkspace.json()).toMatchObject({ code: 'notebook_not_found' })
    const viaTheirs = await app.request(`/api/workspaces/${ws}/notebooks/${created.id}/export`, asOther)
    expect(viaTheirs.status).toBe(404)
    expect(await viaTheirs.json()).toMatchObject({ code: 'workspace_not_found' })

    const asViewer = { Authorization: `Bearer ${viewerToken}`, 'Content-Type': 'application/json' }
    expect(
      (await app.request(`/api/workspaces/${ws}/notebooks/${created.id}/export`, { headers: asViewer })).status,
    ).toBe(200)
    const edit = await app.request(`/api/workspaces/${ws}/notebooks/${created.id}`, {
      method: 'PATCH',
      headers: asViewer,
      body: JSON.stringify({ name: 'mine now' }),
    })
    expect(edit.status).toBe(403)
    expect(await edit.json()).toMatchObject({ code: 'role_insufficient' })
  })
})
