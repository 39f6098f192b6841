/** Mirrors of the server's notebook schemas (workbench/src/routes/notebooks.ts, /api/openapi.json). */
export interface NotebookFile {
  id: string
  workspaceId: string
  name: string
  folder: string
  createdBy: string | null
  createdAt: string
  updatedAt: string
  deletedAt: string | null
}

export interface NotebookPage {
  items: NotebookFile[]
  total: number
}

export interface NotebookTemplate {
  id: string
  name: string
  description: string
}
