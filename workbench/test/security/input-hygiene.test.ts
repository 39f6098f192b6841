import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DocumentStore } from '../../src/collab/document-store.ts'
import { loadConfig } from '../../src/config.ts'
import { createLogger } from '../../src/logger.ts'
import { NotebookService } from '../../src/notebooks/notebook-service.ts'
import { Pipelines } from '../../src/pipelines/pipelines-module.ts'
import { ARTIFACTS_FOLDER } from '../../src/pipelines/run-artifacts.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type Client, createIdentityFixture, type IdentityFixture, PASSWORD } from '../support/identity.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python')

/**
 * Escape suite, the smaller items (issue #14, finding 8 and build item 9): NUL bytes in every kind of
 * input answer 400 naming the field (never 500); the password policy refuses common and breached
 * passwords everywhere a password is set; the login throttle slows a guesser without locking the owner
 * out; a hard link planted in the artifact folder is not served; answers carry no server paths; and
 * what users type does not reach the log.
 */
describe.each(DATABASE_KINDS)('input hygiene on %s', (kind) => {
  let f: IdentityFixture
  let user: Client & { userId: string }
  let ws: string
  let dataDir: string
  let pipelines: Pipelines

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'wb-hygiene-'))
    f = await createIdentityFixture(kind, {
      deps: (database, logger) => {
        const store = new DocumentStore(database.db, logger)
        pipelines = new Pipelines({
          db: database.db,
          logger,
          orchestrator: () => undefined,
          backgroundEveryMs: 0,
          dataDirOf: (id) => path.join(dataDir, 'workspaces', id, 'data'),
        })
        return { notebooks: () => new NotebookService(database.db, store), pipelines: () => pipelines }
      },
    })
    user = await f.signUp('owner@example.com')
    const created = await user.post('/api/workspaces', { name: 'hygiene' })
    expect(created.status).toBe(201)
    ws = created.body.id
  })
  afterAll(async () => {
    await f?.dispose()
    rmSync(dataDir, { recursive: true, force: true })
  })

  /** Uploads `bytes` as `name` through the files API; returns the file id. */
  const upload = async (name: string, bytes: Buffer) => {
    const begun = await user.post(`/api/workspaces/${ws}/files/uploads`, { name, size: bytes.length })
    expect(begun.status).toBe(201)
    const put = await f.app.request(`/api/workspaces/${ws}/files/uploads/${begun.body.id}?offset=0`, {
      method: 'PUT',
      headers: {
        cookie: [...user.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'x-csrf-token': user.cookies.get('wb_csrf') ?? '',
        'content-type': 'application/octet-stream',
      },
      body: bytes,
    })
    expect(put.status).toBe(200)
    expect((await user.post(`/api/workspaces/${ws}/files/uploads/${begun.body.id}/complete`)).status).toBe(200)
    return begun.body.id as string
  }

  const refusedNaming = (res: { status: number; body: any; text: string }, field: RegExp) => {
    expect(res.status, res.text).toBe(400)
    expect(res.body.code).toBe('validation_failed')
    expect(JSON.stringify(res.body.details?.fields ?? res.body.message)).toMatch(field)
  }

  describe('NUL bytes', () => {
    it('in names inside JSON bodies', async () => {
      refusedNaming(await user.post('/api/workspaces', { name: 'a\u0000b' }), /name/)
      refusedNaming(await user.post(`/api/workspaces/${ws}/notebooks`, { name: 'n\u0000', folder: '' }), /name/)
      refusedNaming(await user.patch('/api/me', { name: 'x\u0000y' }), /name/)
      refusedNaming(
        await f.client().post('/api/auth/register', { email: 'n@example.com', name: 'n\u0000', password: PASSWORD }),
        /name/,
      )
      refusedNaming(
        await f.client().post('/api/auth/login', { email: 'owner@example.com\u0000', password: 'x' }),
        /email/,
      )
      refusedNaming(await user.post(`/api/workspaces/${ws}/pipelines`, { yaml: 'steps: []\u0000' }), /yaml/)
      refusedNaming(await user.post('/api/me/tokens', { name: 'ci\u0000', scope: 'read', expiresInDays: 1 }), /name/)
    })

    it('in ids and other path parameters', async () => {
      for (const p of [
        `/api/workspaces/${ws}/notebooks/%00`,
        `/api/workspaces/${ws}%00/notebooks`,
        `/api/workspaces/${ws}/files/tables/t%00x`,
        `/api/workspaces/${ws}/pipeline-runs/r%00/logs`,
      ]) {
        const res = await user.get(p)
        expect(res.status, `${p}: ${res.text}`).toBe(400)
        expect(JSON.stringify(res.body.details.fields)).toMatch(/path/)
      }
    })

    it('in query parameters', async () => {
      refusedNaming(await user.get(`/api/workspaces/${ws}/notebooks?folder=%00`), /query\.folder/)
      refusedNaming(await user.get(`/api/workspaces/${ws}/notebooks?q=a%00b`), /query\.q/)
      refusedNaming(await user.get('/api/admin/users?q=%00'), /query\.q/)
    })

    it('in a notebook file', async () => {
      const ipynb = {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          { id: 'a', cell_type: 'code', source: 'x = "\u0000"', metadata: {}, outputs: [], execution_count: null },
        ],
      }
      const res = await user.request('POST', `/api/workspaces/${ws}/notebooks/import?name=nul`, JSON.stringify(ipynb), {
        'content-type': 'application/x-ipynb+json',
      })
      expect([res.status, res.body.code], res.text).toEqual([400, 'invalid_ipynb'])
      expect(res.text).toMatch(/cells\.0\.source: contains a NUL byte/)
      const named = await user.request('POST', `/api/workspaces/${ws}/notebooks/import?name=a%00`, '{}', {
        'content-type': 'application/x-ipynb+json',
      })
      refusedNaming(named, /query\.name/)
    })

    it('in CSV headers', async () => {
      const csv = Buffer.from('id,na\u0000me\n1,a\n2,b\n')
      const begun = { body: { id: await upload('nul.csv', csv) } }
      const preview = await user.post(`/api/workspaces/${ws}/files/${begun.body.id}/preview`, {})
      expect(
        preview.status,
        f.logs
          .filter((l) => l.includes('unhandled'))
          .join('\n')
          .slice(0, 3000),
      ).toBeLessThan(500)
      const imported = await user.post(`/api/workspaces/${ws}/files/${begun.body.id}/import`, { table: 'nul_t' })
      refusedNaming(imported, /header|column/)
    })
  })

  describe('password policy', () => {
    it('refuses common and breached passwords on sign-up and password change, with the field named', async () => {
      for (const password of ['password1234', 'Password1234', 'qwertyuiop123', '123456789012'])
        refusedNaming(
          await f.client().post('/api/auth/register', { email: `${randomUUID()}@example.com`, name: 'p', password }),
          /password/,
        )
      refusedNaming(
        await f
          .client()
          .post('/api/auth/register', { email: 'samesame@example.com', name: 'p', password: 'samesame@example.com' }),
        /password/,
      )
      refusedNaming(
        await user.post('/api/me/password', { currentPassword: PASSWORD, newPassword: 'password1234' }),
        /newPassword/,
      )
      // No composition rules: a long passphrase of lower-case words is fine, and 64+ characters are allowed.
      const long = 'this is a long passphrase without digits or capitals, more than sixty-four characters'
      expect(
        (await f.client().post('/api/auth/register', { email: 'long@example.com', name: 'l', password: long })).status,
      ).toBe(201)
    })

    it('refuses a common ADMIN_PASSWORD at start', () => {
      expect(() => loadConfig({ ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'password1234' }, ROOT)).toThrow(
        /ADMIN_PASSWORD/,
      )
      expect(() =>
        loadConfig({ ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'root password 123' }, ROOT),
      ).not.toThrow()
    })
  })

  describe('login throttle', () => {
    it('slows a guesser on many IPs and on one IP, but the owner’s usual client signs in with the right password', async () => {
      const owner = await f.signUp('throttled@example.com', { ip: '203.0.113.10' })
      const statuses: number[] = []
      // One IP hammering the account, then many IPs.
      for (let i = 0; i < 40; i++)
        statuses.push(
          (
            await f
              .client({ ip: '192.0.2.66' })
              .post('/api/auth/login', { email: 'throttled@example.com', password: `guess ${i} guess` })
          ).status,
        )
      for (let i = 0; i < 60; i++)
        statuses.push(
          (
            await f
              .client({ ip: `198.18.0.${i}` })
              .post('/api/auth/login', { email: 'throttled@example.com', password: `guess ${i} guess` })
          ).status,
        )
      expect(statuses).toContain(429)
      const attacker = await f
        .client({ ip: '192.0.2.66' })
        .post('/api/auth/login', { email: 'throttled@example.com', password: PASSWORD })
      expect(attacker.status).toBe(429)
      const ok = await f
        .client({ ip: owner.ip })
        .post('/api/auth/login', { email: 'throttled@example.com', password: PASSWORD })
      expect(ok.status).toBe(200)
      // From a new client the owner is slowed, never locked out for long.
      const fresh = await f
        .client({ ip: '203.0.113.99' })
        .post('/api/auth/login', { email: 'throttled@example.com', password: 'still wrong!' })
      if (fresh.status === 429) expect(Number(fresh.headers.get('retry-after'))).toBeLessThanOrEqual(30)
    })
  })

  describe('artifacts', () => {
    it('refuses to serve a hard link planted from Python in the artifact folder', async () => {
      const wsData = path.join(dataDir, 'workspaces', ws, 'data')
      const artifacts = path.join(wsData, ARTIFACTS_FOLDER, 'run')
      mkdirSync(artifacts, { recursive: true })
      const secret = path.join(dataDir, 'secrets-outside.txt')
      writeFileSync(secret, 'the instance signing key')
      const planted = path.join(artifacts, 'innocent.txt')
      // What a python step could do: link a file it can name into the folder the server serves from.
      execFileSync(PYTHON, ['-c', 'import os, sys; os.link(sys.argv[1], sys.argv[2])', secret, planted])
      const honest = path.join(artifacts, 'honest.txt')
      writeFileSync(honest, 'step output')
      const pipeline = await pipelines.pipelines.create(
        ws,
        'apiVersion: workbench/v1\nkind: Pipeline\nmetadata: { name: art }\nsteps:\n  - { id: s, type: sql, with: { sql: "select 1" } }\n',
        {},
        null,
      )
      const runId = randomUUID()
      await f.db
        .insertInto('pipeline_runs')
        .values({
          id: runId,
          pipeline_id: pipeline.id,
          workspace_id: ws,
          version: 1,
          trigger: 'manual',
          params: JSON.stringify({}),
          status: 'succeeded',
          workflow_id: `wf-${runId}`,
          triggered_by: null,
        })
        .execute()
      await f.db
        .insertInto('pipeline_step_runs')
        .values({
          run_id: runId,
          step_id: 's',
          status: 'succeeded',
          attempts: 1,
          output: JSON.stringify({}),
          artifacts: JSON.stringify([
            { name: 'innocent.txt', kind: 'file', mediaType: 'text/plain', path: planted },
            { name: 'honest.txt', kind: 'file', mediaType: 'text/plain', path: honest },
          ]),
        } as never)
        .execute()
      const base = `/api/workspaces/${ws}/pipeline-runs/${runId}/steps/s/artifacts`
      const good = await user.get(`${base}/honest.txt`)
      expect([good.status, good.text]).toEqual([200, 'step output'])
      const bad = await user.get(`${base}/innocent.txt`)
      expect(bad.status).toBe(404)
      expect(bad.text).not.toContain('signing key')
    })
  })

  describe('server paths and logs', () => {
    it('answers errors without absolute server paths', async () => {
      // DuckDB names the file it could not read by its full path under the data folder.
      const broken = await upload('broken.json', Buffer.from('{"a": [1, 2'))
      const answers = [
        await user.post(`/api/workspaces/${ws}/files/${broken}/preview`, {}),
        await user.post(`/api/workspaces/${ws}/files/${broken}/import`, { table: 'broken' }),
        await user.get(`/api/workspaces/${ws}/files/imports`),
        await user.request('POST', `/api/workspaces/${ws}/notebooks/import?name=bad`, '{not json', {
          'content-type': 'application/x-ipynb+json',
        }),
        await user.get(`/api/workspaces/${ws}/files/tables/nope`),
        await user.post(`/api/workspaces/${ws}/files/${randomUUID()}/preview`, {}),
        await user.get(`/api/workspaces/${ws}/notebooks/${randomUUID()}`),
      ]
      for (const res of answers) {
        expect(
          res.status,
          f.logs
            .filter((l) => l.includes('unhandled'))
            .join('\n')
            .slice(0, 3000),
        ).toBeLessThan(500)
        for (const dir of [dataDir, os.tmpdir(), ROOT, os.homedir()]) expect(res.text).not.toContain(dir)
      }
    })

    it('keeps what users type out of the log: passwords, tokens, and SQL or text verbatim', async () => {
      const marker = `typed-${randomUUID()}`
      await f.client().post('/api/auth/login', { email: 'owner@example.com', password: `${marker}-password` })
      await user.post(`/api/workspaces/${ws}/notebooks`, { name: `${marker}-name`, folder: '' })
      await user.get(`/api/workspaces/${ws}/notebooks?q=${marker}-query`)
      const leaked = f.logs.filter((line) => line.includes(marker))
      expect(leaked).toEqual([])
    })
  })
})

describe('the server log', () => {
  it('redacts secrets and user-written SQL wherever they appear in a log call, and server paths in errors', () => {
    const lines: string[] = []
    const logger = createLogger('trace', { write: (line: string) => void lines.push(line) })
    const failed = new Error(
      `Parser Error: syntax error at or near "FROM"\n\nLINE 1: SELECT typed_sql_marker FROM ${os.tmpdir()}/x.csv\n                              ^`,
    )
    logger.error({ err: failed, requestId: 'r1' }, 'unhandled error')
    logger.info(
      {
        sql: 'SELECT typed_sql_marker_2',
        cell: { source: 'print("typed_code_marker")' },
        body: { refreshToken: 'wbr_refresh_marker', currentPassword: 'pw_marker_1', newPassword: 'pw_marker_2' },
        headers: { cookie: 'wb_access=cookie_marker', 'set-cookie': 'wb_access=set_cookie_marker' },
      },
      'request',
    )
    const all = lines.join('\n')
    for (const marker of [
      'typed_sql_marker',
      'typed_code_marker',
      'refresh_marker',
      'pw_marker',
      'cookie_marker',
      os.tmpdir(),
    ])
      expect(all).not.toContain(marker)
    // What is useful stays: the kind of error and the request.
    expect(all).toContain('Parser Error')
    expect(all).toContain('r1')
  })
})
