/** Pages, addressed by the URL fragment so links (and invitation tokens) never reach the server. */
export type Route =
  | { page: 'home' }
  | { page: 'login' }
  | { page: 'register' }
  | { page: 'invite'; token: string }
  | { page: 'workspace'; workspaceId: string }
  | { page: 'members'; workspaceId: string }
  | { page: 'audit'; workspaceId: string }
  | { page: 'connections'; workspaceId: string }
  | { page: 'files'; workspaceId: string }
  | { page: 'notebooks'; workspaceId: string; folder?: string }
  | { page: 'notebook'; workspaceId: string; notebookId: string }
  | { page: 'catalog'; workspaceId: string; assetId?: string }
  | { page: 'pipelines'; workspaceId: string }
  | { page: 'pipeline'; workspaceId: string; pipelineId: string }
  | { page: 'pipeline-new'; workspaceId: string; from?: 'notebook' }
  | { page: 'pipeline-run'; workspaceId: string; runId: string }
  | { page: 'tokens' }
  | { page: 'admin' }
  | { page: 'catalog'; workspaceId: string; assetId?: string }

export function parseRoute(hash: string): Route {
  const [pathPart = '', queryPart = ''] = hash.replace(/^#\/?/, '').split('?')
  const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent)
  const [head, id, sub, item] = parts
  if (head === 'login') return { page: 'login' }
  if (head === 'register') return { page: 'register' }
  if (head === 'invite' && id) return { page: 'invite', token: id }
  if (head === 'tokens') return { page: 'tokens' }
  if (head === 'admin') return { page: 'admin' }
  if (head === 'w' && id && sub === 'members') return { page: 'members', workspaceId: id }
  if (head === 'w' && id && sub === 'audit') return { page: 'audit', workspaceId: id }
  if (head === 'w' && id && sub === 'connections') return { page: 'connections', workspaceId: id }
  if (head === 'w' && id && sub === 'files') return { page: 'files', workspaceId: id }
  if (head === 'w' && id && sub === 'notebooks' && item) return { page: 'notebook', workspaceId: id, notebookId: item }
  if (head === 'w' && id && sub === 'notebooks') {
    const folder = new URLSearchParams(queryPart).get('folder') ?? undefined
    return { page: 'notebooks', workspaceId: id, folder }
  }
  if (head === 'w' && id && sub === 'catalog') return { page: 'catalog', workspaceId: id, assetId: item }
  if (head === 'w' && id && sub === 'pipelines' && item === 'new')
    return new URLSearchParams(queryPart).get('from') === 'notebook'
      ? { page: 'pipeline-new', workspaceId: id, from: 'notebook' }
      : { page: 'pipeline-new', workspaceId: id }
  if (head === 'w' && id && sub === 'pipelines' && item) return { page: 'pipeline', workspaceId: id, pipelineId: item }
  if (head === 'w' && id && sub === 'pipelines') return { page: 'pipelines', workspaceId: id }
  if (head === 'w' && id && sub === 'pipeline-runs' && item)
    return { page: 'pipeline-run', workspaceId: id, runId: item }
  if (head === 'w' && id) return { page: 'workspace', workspaceId: id }
  return { page: 'home' }
}

export function hrefFor(route: Route): string {
  switch (route.page) {
    case 'home':
      return '#/'
    case 'login':
      return '#/login'
    case 'register':
      return '#/register'
    case 'invite':
      return `#/invite/${route.token}`
    case 'tokens':
      return '#/tokens'
    case 'admin':
      return '#/admin'
    case 'workspace':
      return `#/w/${route.workspaceId}`
    case 'members':
      return `#/w/${route.workspaceId}/members`
    case 'audit':
      return `#/w/${route.workspaceId}/audit`
    case 'connections':
      return `#/w/${route.workspaceId}/connections`
    case 'files':
      return `#/w/${route.workspaceId}/files`
    case 'notebooks':
      return `#/w/${route.workspaceId}/notebooks${route.folder ? `?folder=${encodeURIComponent(route.folder)}` : ''}`
    case 'notebook':
      return `#/w/${route.workspaceId}/notebooks/${encodeURIComponent(route.notebookId)}`
    case 'catalog':
      return `#/w/${route.workspaceId}/catalog${route.assetId ? `/${encodeURIComponent(route.assetId)}` : ''}`
    case 'pipelines':
      return `#/w/${route.workspaceId}/pipelines`
    case 'pipeline':
      return `#/w/${route.workspaceId}/pipelines/${encodeURIComponent(route.pipelineId)}`
    case 'pipeline-new':
      return `#/w/${route.workspaceId}/pipelines/new${route.from ? `?from=${route.from}` : ''}`
    case 'pipeline-run':
      return `#/w/${route.workspaceId}/pipeline-runs/${encodeURIComponent(route.runId)}`
  }
}

/** The workspace a page belongs to, if any. */
export function workspaceOf(route: Route): string | undefined {
  return 'workspaceId' in route ? route.workspaceId : undefined
}

export function navigate(route: Route): void {
  window.location.hash = hrefFor(route)
}

/** Goes to `route` without leaving the current page in the history (a redirect: Back must not return to it). */
export function redirect(route: Route): void {
  window.location.replace(hrefFor(route))
}
