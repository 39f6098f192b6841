import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { AppError } from '../src/http/errors.ts'
import type { KernelPermissionCheck } from '../src/kernels/permissions.ts'
import { defaultKernelSettings, SessionManager } from '../src/kernels/session-manager.ts'

let dataDir: string
let kernels: SessionManager

beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'kernels-permissions-'))
  kernels = new SessionManager({
    dataDir,
    settings: defaultKernelSettings,
    jupyter: () => undefined,
    logger: pino({ level: 'silent' }),
  })
})

afterAll(async () => {
  await kernels?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Stands in for identity (issue 3): the `x-role` header is the caller's role in every workspace. */
const byRoleHeader: KernelPermissionCheck = async (c, _workspaceId, action) => {
  const role = c.req.header('x-role')
  if (role === 'viewer' && action === 'execute') throw new AppError(403, 'forbidden', 'Viewers cannot run notebooks')
}

it('a viewer can see a session and its results but cannot execute, interrupt or restart', async () => {
  const app = createApp({
    logger: pino({ level: 'silent' }),
    readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
    scratchDuckdb: () => undefined,
    kernels,
    kernelPermissions: byRoleHeader,
  })
  const json = (role: string, body?: unknown) => ({
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'x-role': role, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const created = await app.request('/api/kernels/sessions', json('editor', { workspaceId: 'w', notebookId: 'n' }))
  const { id } = (await created.json()) as { id: string }
  const run = await app.request(
    `/api/kernels/sessions/${id}/execute`,
    json('editor', { language: 'sql', code: 'SELECT 1' }),
  )
  expect(run.status).toBe(200)

  const denied = await app.request(
    `/api/kernels/sessions/${id}/execute`,
    json('viewer', { language: 'sql', code: 'SELECT 1' }),
  )
  expect(denied.status).toBe(403)
  expect(await denied.json()).toMatchObject({ code: 'forbidden' })
  expect((await app.request(`/api/kernels/sessions/${id}/interrupt`, json('viewer', {}))).status).toBe(403)
  expect((await app.request(`/api/kernels/sessions/${id}/restart`, json('viewer', {}))).status).toBe(403)
  expect((await app.request(`/api/kernels/sessions/${id}`, json('viewer'))).status).toBe(200)
  expect((await app.request('/api/kernels/sessions?workspaceId=w', json('viewer'))).status).toBe(200)
  const page = await app.request(`/api/kernels/sessions/${id}/results/r1/page`, json('viewer', { limit: 1 }))
  expect(page.status).toBe(200)
})
