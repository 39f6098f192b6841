// A step's artifacts (files it saved, e.g. a notebook step's executed notebook): how they are recorded,
// what the API shows of them (never a server path), and which file a download may read.
import { constants } from 'node:fs'
import { type FileHandle, lstat, open, realpath } from 'node:fs/promises'
import path from 'node:path'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'

/** An artifact as recorded in `pipeline_step_runs.artifacts`; `path` is internal and never returned. */
export interface StepArtifact {
  /** File name, unique within the step: the download route's `{name}`. */
  name: string
  kind: string
  format?: string
  size?: number
  mediaType: string
  path?: string
}

/** What the API shows of an artifact. */
export type PublicArtifact = Omit<StepArtifact, 'path'>

const MEDIA_TYPES: Record<string, string> = {
  ipynb: 'application/x-ipynb+json',
  json: 'application/json',
  csv: 'text/csv',
  txt: 'text/plain',
  html: 'text/html',
  parquet: 'application/vnd.apache.parquet',
}

/** Artifact kinds by format: what the run page calls them. */
const KINDS: Record<string, string> = { ipynb: 'notebook', json: 'outputs' }

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** One artifact description (a step's `output.artifact`, or an entry of `output.artifacts`) as a record. */
function toArtifact(value: unknown): StepArtifact | undefined {
  if (!isRecord(value)) return undefined
  const file = typeof value.path === 'string' ? value.path : undefined
  const name = typeof value.name === 'string' ? value.name : file ? path.basename(file) : undefined
  if (!name) return undefined
  const extension = path.extname(name).slice(1).toLowerCase()
  const format = typeof value.format === 'string' ? value.format : extension || undefined
  const size = typeof value.size === 'number' ? value.size : typeof value.bytes === 'number' ? value.bytes : undefined
  return {
    name,
    kind: typeof value.kind === 'string' ? value.kind : (KINDS[format ?? ''] ?? 'file'),
    ...(format ? { format } : {}),
    ...(size === undefined ? {} : { size }),
    mediaType:
      typeof value.mediaType === 'string'
        ? value.mediaType
        : (MEDIA_TYPES[format ?? ''] ?? MEDIA_TYPES[extension] ?? 'application/octet-stream'),
    ...(file ? { path: file } : {}),
  }
}

/**
 * Artifacts a step's output names: `artifact` (the executed notebook of a `notebook` step, the outputs
 * of a `python` step) and an `artifacts` list, so the run page can list them without knowing each step type.
 */
export function artifactsOf(output: unknown): StepArtifact[] {
  if (!isRecord(output)) return []
  const found: StepArtifact[] = []
  const single = toArtifact(output.artifact)
  if (single) found.push(single)
  if (Array.isArray(output.artifacts))
    for (const entry of output.artifacts) {
      const artifact = toArtifact(entry)
      if (artifact && !found.some((a) => a.name === artifact.name)) found.push(artifact)
    }
  return found
}

/** A step's artifacts as recorded, or read off its output for rows recorded before artifacts were listed. */
export function recordedArtifacts(stored: unknown, output: unknown): StepArtifact[] {
  const list = Array.isArray(stored) ? stored.map(toArtifact).filter((a) => a !== undefined) : []
  return list.length > 0 ? list : artifactsOf(output)
}

/** The API's view of artifacts: no server path. */
export function publicArtifacts(list: StepArtifact[]): PublicArtifact[] {
  return list.map(({ path: _path, ...rest }) => rest)
}

/**
 * A step's output as the API shows it: artifact descriptions carry their file name instead of the
 * server path, which would tell callers the data folder's layout.
 */
export function publicOutput(output: unknown): unknown {
  if (!isRecord(output)) return output
  const strip = (value: unknown) => {
    if (!isRecord(value) || typeof value.path !== 'string') return value
    const { path: file, ...rest } = value
    return { name: path.basename(file), ...rest }
  }
  const copy: Record<string, unknown> = { ...output }
  if ('artifact' in copy) copy.artifact = strip(copy.artifact)
  if (Array.isArray(copy.artifacts)) copy.artifacts = copy.artifacts.map(strip)
  return copy
}

/**
 * The artifact's file, opened for reading, or undefined unless it is a regular file that resolves
 * (symlinks followed) inside `root`, the workspace's artifact folder, and has exactly one link. Step
 * code writes that folder, so it could plant a symlink or a hard link to a file elsewhere (a hard link
 * looks like a regular file in place): a second link means the same file is also reachable from
 * somewhere else, and it is refused. The checks are made on the opened handle, so the file cannot be
 * swapped between the check and the read.
 */
export async function openArtifactFile(root: string, artifact: StepArtifact): Promise<FileHandle | undefined> {
  if (!artifact.path || !path.isAbsolute(artifact.path)) return undefined
  let handle: FileHandle | undefined
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(artifact.path)])
    if (!realFile.startsWith(realRoot + path.sep)) return undefined
    const before = await lstat(realFile)
    if (!before.isFile() || before.nlink !== 1) return undefined
    handle = await open(realFile, constants.O_RDONLY | constants.O_NOFOLLOW)
    const opened = await handle.stat()
    if (!opened.isFile() || opened.nlink !== 1 || opened.ino !== before.ino || opened.dev !== before.dev) {
      await handle.close()
      return undefined
    }
    return handle
  } catch {
    await handle?.close().catch(() => {})
    return undefined
  }
}

/** The folder under a workspace's data folder where `notebook` and `python` steps save artifacts. */
export const ARTIFACTS_FOLDER = 'pipeline-artifacts'

/** Finds the file behind a recorded artifact, for the download route. */
export class RunArtifacts {
  constructor(
    private readonly db: Kysely<Database>,
    /** `<DATA_DIR>/workspaces/<id>/data`; undefined where the workbench has no workspace data folders. */
    private readonly dataDirOf: ((workspaceId: string) => string) | undefined,
  ) {}

  /**
   * The artifact `name` of a step of a run in the workspace, with its file's real path. Unknown runs,
   * steps and names, and files outside the workspace's artifact folder, are all "not found".
   */
  async file(
    workspaceId: string,
    runId: string,
    stepId: string,
    name: string,
  ): Promise<{ artifact: PublicArtifact; handle: FileHandle; size: number }> {
    if (!this.dataDirOf) throw new AppError(503, 'artifacts_unavailable', 'Step artifacts are not available here')
    const step = await this.db
      .selectFrom('pipeline_step_runs as s')
      .innerJoin('pipeline_runs as r', 'r.id', 's.run_id')
      .select(['s.artifacts', 's.output'])
      .where('r.workspace_id', '=', workspaceId)
      .where('r.id', '=', runId)
      .where('s.step_id', '=', stepId)
      .executeTakeFirst()
    const artifact = step && recordedArtifacts(step.artifacts, step.output).find((a) => a.name === name)
    const root = path.join(this.dataDirOf(workspaceId), ARTIFACTS_FOLDER)
    const handle = artifact && (await openArtifactFile(root, artifact))
    if (!artifact || !handle) throw new NotFoundError('pipeline_artifact', name)
    const { path: _path, ...shown } = artifact
    return { artifact: shown, handle, size: (await handle.stat()).size }
  }
}
