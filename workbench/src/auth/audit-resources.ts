import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'

/** What an event's resource is, for people: its name and where it is in the web app. */
export interface ResourceLabel {
  kind: 'notebook' | 'pipeline' | 'run' | 'connection' | 'member' | 'workspace'
  id: string
  /** The resource's name now (undefined: it no longer exists, or the caller may not see it). */
  name?: string
  /** The web app's link (a URL fragment), when the resource has a page. */
  link?: string
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const PATTERNS: { kind: ResourceLabel['kind']; re: RegExp }[] = [
  { kind: 'notebook', re: new RegExp(`^/api/workspaces/(${UUID})/notebooks/(${UUID})`, 'i') },
  { kind: 'pipeline', re: new RegExp(`^/api/workspaces/(${UUID})/pipelines/(${UUID})`, 'i') },
  { kind: 'run', re: new RegExp(`^/api/workspaces/(${UUID})/pipeline-runs/(${UUID})`, 'i') },
  { kind: 'connection', re: new RegExp(`^/api/workspaces/(${UUID})/connections/(${UUID})`, 'i') },
  { kind: 'member', re: new RegExp(`^/api/workspaces/(${UUID})/members/(${UUID})`, 'i') },
  { kind: 'workspace', re: new RegExp(`^/api/workspaces/(${UUID})/?$`, 'i') },
]

/** The resource a request path names, if it names one the log can describe. */
export function parseResource(
  path: string | null,
): { kind: ResourceLabel['kind']; workspaceId: string; id: string } | undefined {
  if (!path) return undefined
  for (const { kind, re } of PATTERNS) {
    const m = re.exec(path)
    if (m?.[1]) return { kind, workspaceId: m[1], id: m[2] ?? m[1] }
  }
  return undefined
}

/**
 * Names and links for the resources of a page of events: one query per kind, only within the events' own
 * workspaces (a page of one workspace's log never names another workspace's things).
 */
export async function labelResources(
  db: Kysely<Database>,
  events: { resource: string | null; workspaceId: string | null }[],
): Promise<(ResourceLabel | undefined)[]> {
  const parsed = events.map((e) => {
    const r = parseResource(e.resource)
    return r && r.workspaceId === e.workspaceId ? r : undefined
  })
  const ids = (kind: ResourceLabel['kind']) => [
    ...new Set(parsed.filter((p) => p?.kind === kind).map((p) => p?.id ?? '')),
  ]
  const names = new Map<string, string>()
  const put = (kind: string, rows: { id: string; name: string }[]) => {
    for (const r of rows) names.set(`${kind}:${r.id}`, r.name)
  }
  const notebookIds = ids('notebook')
  const pipelineIds = ids('pipeline')
  const runIds = ids('run')
  const connectionIds = ids('connection')
  const memberIds = ids('member')
  const workspaceIds = ids('workspace')
  await Promise.all([
    notebookIds.length &&
      db
        .selectFrom('notebooks')
        .select(['id', 'name'])
        .where('id', 'in', notebookIds)
        .execute()
        .then((rows) => put('notebook', rows)),
    pipelineIds.length &&
      db
        .selectFrom('pipelines')
        .select(['id', 'name'])
        .where('id', 'in', pipelineIds)
        .execute()
        .then((rows) => put('pipeline', rows)),
    runIds.length &&
      db
        .selectFrom('pipeline_runs')
        .innerJoin('pipelines', 'pipelines.id', 'pipeline_runs.pipeline_id')
        .select(['pipeline_runs.id as id', 'pipelines.name as name'])
        .where('pipeline_runs.id', 'in', runIds)
        .execute()
        .then((rows) =>
          put(
            'run',
            rows.map((r) => ({ id: r.id, name: `run of ${r.name}` })),
          ),
        ),
    connectionIds.length &&
      db
        .selectFrom('connections')
        .select(['id', 'name'])
        .where('id', 'in', connectionIds)
        .execute()
        .then((rows) => put('connection', rows)),
    memberIds.length &&
      db
        .selectFrom('users')
        .select(['id', 'email as name'])
        .where('id', 'in', memberIds)
        .execute()
        .then((rows) => put('member', rows)),
    workspaceIds.length &&
      db
        .selectFrom('workspaces')
        .select(['id', 'name'])
        .where('id', 'in', workspaceIds)
        .execute()
        .then((rows) => put('workspace', rows)),
  ])
  return parsed.map((p) => {
    if (!p) return undefined
    const name = names.get(`${p.kind}:${p.id}`)
    const ws = `/w/${p.workspaceId}`
    const link = {
      notebook: `${ws}/notebooks/${p.id}`,
      pipeline: `${ws}/pipelines/${p.id}`,
      run: `${ws}/pipeline-runs/${p.id}`,
      connection: `${ws}/connections`,
      member: `${ws}/members`,
      workspace: ws,
    }[p.kind]
    return { kind: p.kind, id: p.id, ...(name !== undefined ? { name, link } : {}) }
  })
}
