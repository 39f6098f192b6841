import { createContext, useContext } from 'react'
import type { User, Workspace } from '../../core/auth/types.ts'

export interface ShellState {
  user: User
  /** Undefined while loading. */
  workspaces: Workspace[] | undefined
  reloadWorkspaces: () => Promise<void>
  reloadSession: () => Promise<void>
  signOut: () => void
}

export const ShellContext = createContext<ShellState | undefined>(undefined)

/** The signed-in user and their workspaces; only under the signed-in shell. */
export function useShell(): ShellState {
  const shell = useContext(ShellContext)
  if (!shell) throw new Error('useShell outside the signed-in shell')
  return shell
}

export const WorkspaceContext = createContext<Workspace | undefined>(undefined)

/** The workspace of the current `/w/:workspaceId/…` page. */
export function useWorkspace(): Workspace {
  const workspace = useContext(WorkspaceContext)
  if (!workspace) throw new Error('useWorkspace outside a workspace page')
  return workspace
}
