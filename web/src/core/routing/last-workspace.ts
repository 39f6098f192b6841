const KEY = 'workbench.workspace'

/** The workspace the reader used last on this browser: where `#/` (and so sign-in) lands. */
export function lastWorkspace(): string | undefined {
  try {
    return localStorage.getItem(KEY) ?? undefined
  } catch {
    return undefined
  }
}

export function rememberWorkspace(workspaceId: string): void {
  try {
    localStorage.setItem(KEY, workspaceId)
  } catch {
    // Private mode or storage full: landing on the first workspace instead is fine.
  }
}

/** The workspace to land on: the last one used if the reader still belongs to it, else the first. */
export function landingWorkspace<T extends { id: string }>(workspaces: T[]): T | undefined {
  const last = lastWorkspace()
  return workspaces.find((w) => w.id === last) ?? workspaces[0]
}
