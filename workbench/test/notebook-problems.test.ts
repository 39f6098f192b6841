import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CollabFixture, startCollabFixture } from './support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'
import { callApi } from './support/http.ts'

describe.each(DATABASE_KINDS)('notebook problems for admins on %s', (kind) => {
  let database: TestDatabase
  let fixture: CollabFixture

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    fixture = await startCollabFixture(database)
  })
  afterAll(async () => {
    await fixture?.close()
    await database?.dispose()
  })

  it('lists corrupted stored data of the workspace to its admins, and of every workspace to instance admins', async () => {
    const notebook = await fixture.notebooks.create(fixture.workspaceId, { name: 'Broken one' })
    await database.db
      .insertInto('notebook_updates')
      .values({ notebook_id: notebook.id, data: new Uint8Array([255, 1, 2, 3, 4]) })
      .execute()
    // Another workspace with its own problem, which this workspace's admin must not see.
    const elsewhere = await fixture.members.workspace()
    const foreign = await fixture.notebooks.create(elsewhere, { name: 'Foreign' })
    await database.db
      .insertInto('notebook_updates')
      .values({ notebook_id: foreign.id, data: new Uint8Array([255, 9]) })
      .execute()
    for (const id of [notebook.id, foreign.id]) (await fixture.store.load(id)).doc.destroy()

    const admin = await fixture.members.member(fixture.workspaceId, 'admin')
    const mine = await callApi(
      fixture.baseUrl,
      admin.token,
      'GET',
      `/workspaces/${fixture.workspaceId}/notebook-problems`,
    )
    expect(mine.status).toBe(200)
    expect(mine.body.total).toBe(1)
    expect(mine.body.items[0]).toMatchObject({
      notebookId: notebook.id,
      notebookName: 'Broken one',
      workspaceId: fixture.workspaceId,
      kind: 'corrupted_data',
    })
    expect(mine.body.items[0].detail).toMatch(/^update \d+ is corrupted$/)
    const editor = await callApi(
      fixture.baseUrl,
      fixture.tokens.editor,
      'GET',
      `/workspaces/${fixture.workspaceId}/notebook-problems`,
    )
    expect(editor.status).toBe(403)

    const instanceAdmin = await fixture.members.member(elsewhere, 'viewer')
    await database.db
      .updateTable('users')
      .set({ is_instance_admin: true })
      .where('id', '=', instanceAdmin.userId)
      .execute()
    const all = await callApi(fixture.baseUrl, instanceAdmin.token, 'GET', '/admin/notebook-problems?limit=10')
    expect(all.status).toBe(200)
    expect(all.body.items.map((p: { notebookId: string }) => p.notebookId).sort()).toEqual(
      [notebook.id, foreign.id].sort(),
    )
    expect((await callApi(fixture.baseUrl, admin.token, 'GET', '/admin/notebook-problems')).status).toBe(403)
  })
})
