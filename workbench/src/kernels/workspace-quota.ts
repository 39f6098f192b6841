import { lstat, readdir } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from 'pino'

/**
 * Bytes held by the files below `dir` (links are not followed; a file with several links counts once per
 * link, as the sandbox's start check counts it). Stops counting once past `stopAbove`: a quota check needs
 * to know only that the folder is over, not by how much.
 */
export async function folderBytes(dir: string, stopAbove = Number.POSITIVE_INFINITY): Promise<number> {
  let total = 0
  const pending = [dir]
  while (pending.length > 0 && total <= stopAbove) {
    const current = pending.pop() as string
    let entries: import('node:fs').Dirent[]
    try {
      entries = await readdir(current, { withFileTypes: true })
    } catch {
      continue // removed meanwhile, or not ours to read
    }
    for (const entry of entries) {
      const full = path.join(current, entry.name)
      if (entry.isDirectory()) pending.push(full)
      else if (entry.isFile())
        total += await lstat(full).then(
          (s) => s.size,
          () => 0,
        )
      if (total > stopAbove) break
    }
  }
  return total
}

export interface WorkspaceQuotaOptions {
  /** Most bytes a workspace folder may hold while its kernels run. */
  quotaBytes: number
  /** How often the folders of workspaces with live sessions are measured. */
  intervalMs: number
  /** Workspaces that have open notebook sessions now. */
  activeWorkspaces: () => string[]
  dataDirOf: (workspaceId: string) => string
  /** Ends every session of the workspace; the sandbox then refuses new kernels until files are deleted. */
  closeWorkspaceSessions: (workspaceId: string) => Promise<void>
  logger: Logger
}

/**
 * Enforces the workspace disk quota while kernels run. The sandbox refuses to start a kernel over quota;
 * without filesystem quotas (XFS project quotas, a volume per workspace) a running kernel could still write
 * past it, so the folders of active workspaces are measured every `intervalMs` and an over-quota
 * workspace loses its sessions.
 */
export class WorkspaceQuotaWatcher {
  readonly #timer: NodeJS.Timeout
  #checking = false

  constructor(readonly options: WorkspaceQuotaOptions) {
    this.#timer = setInterval(() => void this.check(), options.intervalMs)
    this.#timer.unref()
  }

  /** Measures each active workspace once; returns the workspaces whose sessions were closed. */
  async check(): Promise<string[]> {
    if (this.#checking) return []
    this.#checking = true
    const closed: string[] = []
    try {
      const { quotaBytes, logger } = this.options
      for (const workspaceId of this.options.activeWorkspaces()) {
        const used = await folderBytes(this.options.dataDirOf(workspaceId), quotaBytes)
        if (used <= quotaBytes) continue
        logger.warn(
          { workspace: workspaceId, quotaBytes },
          'workspace over its disk quota: closing its kernel sessions',
        )
        await this.options.closeWorkspaceSessions(workspaceId)
        closed.push(workspaceId)
      }
    } finally {
      this.#checking = false
    }
    return closed
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
