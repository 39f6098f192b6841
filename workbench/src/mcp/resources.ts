import { McpError, type ReadResourceResult, type Resource } from '@modelcontextprotocol/sdk/types.js'
import { type RestBridge, RestError, segment } from './rest-bridge.ts'

/** JSON-RPC code MCP gives an unknown resource. */
const RESOURCE_NOT_FOUND = -32002
/** `resources/list` is bounded: agents search the rest with the tools. */
const LIST_WORKSPACES = 20
const LIST_NOTEBOOKS_PER_WORKSPACE = 50

const NOTEBOOK_URI = /^workbench:\/\/workspaces\/([^/]+)\/notebooks\/([^/]+)$/
const ASSET_URI = /^workbench:\/\/workspaces\/([^/]+)\/assets\/([^/]+)$/

export const RESOURCE_TEMPLATES = [
  {
    uriTemplate: 'workbench://workspaces/{workspaceId}/notebooks/{notebookId}',
    name: 'notebook',
    title: 'Notebook (.ipynb)',
    description: 'A notebook as nbformat 4.5 JSON, outputs masked as collaborators see them',
    mimeType: 'application/x-ipynb+json',
  },
  {
    uriTemplate: 'workbench://workspaces/{workspaceId}/assets/{assetId}',
    name: 'catalog-asset',
    title: 'Catalog asset',
    description: 'A table or view with its columns, descriptions, tags and owners',
    mimeType: 'application/json',
  },
]

/** The caller's notebooks, workspace by workspace (bounded). */
export async function listResources(rest: RestBridge, signal: AbortSignal): Promise<{ resources: Resource[] }> {
  const { workspaces } = await rest.get<{ workspaces: { id: string; name: string }[] }>('/workspaces', { signal })
  const resources: Resource[] = []
  for (const workspace of workspaces.slice(0, LIST_WORKSPACES)) {
    const page = await rest.get<{ items: { id: string; name: string }[] }>(
      `/workspaces/${segment(workspace.id)}/notebooks`,
      { query: { limit: LIST_NOTEBOOKS_PER_WORKSPACE }, signal },
    )
    for (const notebook of page.items)
      resources.push({
        uri: `workbench://workspaces/${workspace.id}/notebooks/${notebook.id}`,
        name: notebook.name,
        title: `${notebook.name} (${workspace.name})`,
        mimeType: 'application/x-ipynb+json',
      })
  }
  return { resources }
}

export async function readResource(rest: RestBridge, uri: string, signal: AbortSignal): Promise<ReadResourceResult> {
  const notebook = NOTEBOOK_URI.exec(uri)
  const asset = ASSET_URI.exec(uri)
  try {
    if (notebook) {
      const [, workspaceId = '', notebookId = ''] = notebook
      const body = await rest.get<unknown>(
        `/workspaces/${segment(decodeURIComponent(workspaceId))}/notebooks/${segment(decodeURIComponent(notebookId))}/export`,
        { signal },
      )
      const text = typeof body === 'string' ? body : JSON.stringify(body)
      return { contents: [{ uri, mimeType: 'application/x-ipynb+json', text }] }
    }
    if (asset) {
      const [, workspaceId = '', assetId = ''] = asset
      const body = await rest.get<unknown>(
        `/workspaces/${segment(decodeURIComponent(workspaceId))}/catalog/assets/${segment(decodeURIComponent(assetId))}`,
        { signal },
      )
      return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(body) }] }
    }
  } catch (err) {
    // Not a member, or gone: the same answer, as the REST API gives 404 for both.
    if (err instanceof RestError && (err.status === 404 || err.status === 403))
      throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri })
    throw err
  }
  throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri })
}
