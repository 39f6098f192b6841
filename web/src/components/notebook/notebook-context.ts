import { createContext, useContext } from 'react'

/** What output views need from the open notebook. */
export interface NotebookEnv {
  workspaceId: string
  notebookId: string
  /** The kernel session the notebook's results live in, when execution is available. */
  sessionId: string | null
  canEdit: boolean
  /** Workspace admins and owners may reveal masked (PII-tagged) result columns; every reveal is audited. */
  canUnmask?: boolean
}

export const NotebookEnvContext = createContext<NotebookEnv>({
  workspaceId: '',
  notebookId: '',
  sessionId: null,
  canEdit: false,
})

export function useNotebookEnv(): NotebookEnv {
  return useContext(NotebookEnvContext)
}
