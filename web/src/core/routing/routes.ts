/**
 * Every page of the app as a typed value, and its URL (history API: `/w/:workspaceId/notebooks/:id?cell=…`). The
 * router (react-router, `core/routing/router.tsx`) matches the same paths; links are built only by `hrefFor`, so a
 * renamed path changes in one place and a link cannot miss a parameter.
 */
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
  | { page: 'notebook'; workspaceId: string; notebookId: string; cellId?: string }
  | { page: 'catalog'; workspaceId: string; assetId?: string; q?: string; tab?: string }
  | { page: 'pipelines'; workspaceId: string }
  | { page: 'pipeline'; workspaceId: string; pipelineId: string }
  | { page: 'pipeline-new'; workspaceId: string; from?: 'notebook' }
  | { page: 'pipeline-run'; workspaceId: string; runId: string }
  | { page: 'tokens' }
  | { page: 'admin' }

/** The page at `pathname` + `search` (a location of the history API). */
export function parseRoute(pathname: string, search = '', hash = ''): Route {
  const pathPart = pathname
  const queryPart = search.replace(/^\?/, '')
  const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent)
  const [head, id, sub, item] = parts
  if (head === 'login') return { page: 'login' }
  if (head === 'register') return { page: 'register' }
  // The invitation token stays in the fragment: it never reaches the server or its logs.
  if (head === 'invite' && (hash.length > 1 || id))
    return { page: 'invite', token: id ?? decodeURIComponent(hash.slice(1)) }
  if (head === 'tokens') return { page: 'tokens' }
  if (head === 'admin') return { page: 'admin' }
  if (head === 'w' && id && sub === 'members') return { page: 'members', workspaceId: id }
  if (head === 'w' && id && sub === 'audit') return { page: 'audit', workspaceId: id }
  if (head === 'w' && id && sub === 'connections') return { page: 'connections', workspaceId: id }
  if (head === 'w' && id && sub === 'files') return { page: 'files', workspaceId: id }
  if (head === 'w' && id && sub === 'notebooks' && item) {
    const cellId = new URLSearchParams(queryPart).get('cell') ?? undefined
    return { page: 'notebook', workspaceId: id, notebookId: item, ...(cellId ? { cellId } : {}) }
  }
  if (head === 'w' && id && sub === 'notebooks') {
    const folder = new URLSearchParams(queryPart).get('folder') ?? undefined
    return { page: 'notebooks', workspaceId: id, folder }
  }
  if (head === 'w' && id && sub === 'catalog') {
    const query = new URLSearchParams(queryPart)
    const q = query.get('q') ?? undefined
    const tab = query.get('tab') ?? undefined
    return { page: 'catalog', workspaceId: id, assetId: item, ...(q ? { q } : {}), ...(tab ? { tab } : {}) }
  }
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
      return '/'
    case 'login':
      return '/login'
    case 'register':
      return '/register'
    case 'invite':
      return `/invite#${encodeURIComponent(route.token)}`
    case 'tokens':
      return '/tokens'
    case 'admin':
      return '/admin'
    case 'workspace':
      return `/w/${route.workspaceId}`
    case 'members':
      return `/w/${route.workspaceId}/members`
    case 'audit':
      return `/w/${route.workspaceId}/audit`
    case 'connections':
      return `/w/${route.workspaceId}/connections`
    case 'files':
      return `/w/${route.workspaceId}/files`
    case 'notebooks':
      return `/w/${route.workspaceId}/notebooks${route.folder ? `?folder=${encodeURIComponent(route.folder)}` : ''}`
    case 'notebook':
      return `/w/${route.workspaceId}/notebooks/${encodeURIComponent(route.notebookId)}${route.cellId ? `?cell=${encodeURIComponent(route.cellId)}` : ''}`
    case 'catalog':
      return `/w/${route.workspaceId}/catalog${route.assetId ? `/${encodeURIComponent(route.assetId)}` : ''}${query({ q: route.q, tab: route.tab })}`
    case 'pipelines':
      return `/w/${route.workspaceId}/pipelines`
    case 'pipeline':
      return `/w/${route.workspaceId}/pipelines/${encodeURIComponent(route.pipelineId)}`
    case 'pipeline-new':
      return `/w/${route.workspaceId}/pipelines/new${route.from ? `?from=${route.from}` : ''}`
    case 'pipeline-run':
      return `/w/${route.workspaceId}/pipeline-runs/${encodeURIComponent(route.runId)}`
  }
}

/** The workspace a page belongs to, if any. */
export function workspaceOf(route: Route): string | undefined {
  return 'workspaceId' in route ? route.workspaceId : undefined
}

/**
 * The history-API URL for an old `#/…` link (bookmarks, invitation mails, audit entries written before): the
 * invitation token moves to the fragment of `/invite`, everything else to the path. Undefined when `hash` is not one.
 */
export function legacyHashUrl(hash: string): string | undefined {
  if (!hash.startsWith('#/')) return undefined
  const rest = hash.slice(1)
  const invite = /^\/invite\/([^/?]+)/.exec(rest)
  return invite ? `/invite#${invite[1]}` : rest
}

function query(params: Record<string, string | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string] => Boolean(e[1]))
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : ''
}

type Navigator = (to: string, options: { replace: boolean }) => void
let navigator: Navigator = (to, { replace }) =>
  replace ? window.history.replaceState(null, '', to) : window.history.pushState(null, '', to)

/** Set once by the router, so `navigate` moves through it (no page reload). */
export function setNavigator(next: Navigator): void {
  navigator = next
}

export function navigate(route: Route): void {
  navigator(hrefFor(route), { replace: false })
}

/** Goes to `route` without leaving the current page in the history (a redirect: Back must not return to it). */
export function redirect(route: Route): void {
  navigator(hrefFor(route), { replace: true })
}

/**
 * Whether a click on an `<a href>` should be handled by the router rather than the browser: a plain left click on
 * a link to one of our pages (not the API, the docs, a download, a new tab).
 */
export function isAppLink(anchor: HTMLAnchorElement, event: MouseEvent): boolean {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
    return false
  if ((anchor.target && anchor.target !== '_self') || anchor.hasAttribute('download')) return false
  if (anchor.getAttribute('href')?.startsWith('#')) return false // an in-page anchor (the skip link)
  const url = new URL(anchor.href, window.location.href)
  if (url.origin !== window.location.origin) return false
  return !/^\/(api|mcp|ws|assets)(\/|$)/.test(url.pathname)
}
