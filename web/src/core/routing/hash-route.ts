/** Pages, addressed by the URL fragment so links (and invitation tokens) never reach the server. */
export type Route =
  | { page: 'home' }
  | { page: 'login' }
  | { page: 'register' }
  | { page: 'invite'; token: string }
  | { page: 'members'; workspaceId: string }
  | { page: 'audit'; workspaceId: string }
  | { page: 'tokens' }
  | { page: 'admin' }
  | { page: 'catalog'; workspaceId: string; assetId?: string }

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean)
  const [head, id, sub] = parts
  if (head === 'login') return { page: 'login' }
  if (head === 'register') return { page: 'register' }
  if (head === 'invite' && id) return { page: 'invite', token: id }
  if (head === 'tokens') return { page: 'tokens' }
  if (head === 'admin') return { page: 'admin' }
  if (head === 'w' && id && sub === 'audit') return { page: 'audit', workspaceId: id }
  if (head === 'w' && id && sub === 'catalog') return { page: 'catalog', workspaceId: id, assetId: parts[3] }
  if (head === 'w' && id) return { page: 'members', workspaceId: id }
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
    case 'members':
      return `#/w/${route.workspaceId}`
    case 'audit':
      return `#/w/${route.workspaceId}/audit`
    case 'catalog':
      return `#/w/${route.workspaceId}/catalog${route.assetId ? `/${route.assetId}` : ''}`
  }
}

export function navigate(route: Route): void {
  window.location.hash = hrefFor(route)
}
