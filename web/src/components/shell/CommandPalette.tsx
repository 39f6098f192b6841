import { Command } from 'cmdk'
import {
  Database,
  FilePlus2,
  FileSpreadsheet,
  House,
  KeyRound,
  NotebookText,
  Play,
  Plug,
  Plus,
  Table2,
  Users,
  Workflow,
} from 'lucide-react'
import { Dialog as D } from 'radix-ui'
import { type ReactNode, useEffect, useState } from 'react'
import { navigate, type Route, workspaceOf } from '../../core/routing/routes.ts'
import { useApiData } from '../../hooks/use-api-data.ts'
import { useShell } from './shell-context.ts'

// Only the fields the palette shows (the full shapes come from the API client).
type Named = { id: string; name: string }
type Hit = { id: string; schema: string; name: string; sourceName: string; kind: string }
type RunItem = { id: string; pipelineId: string; status: string; createdAt: string }

/** Opens on Ctrl-K / Cmd-K anywhere (also from inside the editors). */
function useHotkey(onOpen: () => void) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'k') {
        event.preventDefault()
        event.stopPropagation()
        onOpen()
      }
    }
    window.addEventListener('keydown', onKey, { capture: true })
    return () => window.removeEventListener('keydown', onKey, { capture: true })
  }, [onOpen])
}

/**
 * The command palette (cmdk): jump to any notebook, table, pipeline or recent run of the current workspace, or to
 * an action (new notebook, new pipeline, a section, another workspace).
 */
export function CommandPalette({
  route,
  open,
  onOpenChange,
  onCreateWorkspace,
}: {
  route: Route
  open: boolean
  onOpenChange: (open: boolean) => void
  onCreateWorkspace: () => void
}) {
  useHotkey(() => onOpenChange(true))
  const { workspaces } = useShell()
  const [search, setSearch] = useState('')
  const [tableQuery, setTableQuery] = useState('')
  useEffect(() => {
    const timer = setTimeout(() => setTableQuery(search), 150)
    return () => clearTimeout(timer)
  }, [search])
  const workspaceId = workspaceOf(route)
  const ws = workspaceId && open ? `/api/workspaces/${encodeURIComponent(workspaceId)}` : undefined
  const notebooks = useApiData<{ items: Named[] }>(ws && `${ws}/notebooks?limit=200&offset=0`)
  const pipelines = useApiData<{ items: Named[] }>(ws && `${ws}/pipelines`)
  const runs = useApiData<{ items: RunItem[] }>(ws && `${ws}/pipeline-runs?limit=10&offset=0`)
  const tables = useApiData<{ items: Hit[] }>(
    ws && `${ws}/catalog/search?${new URLSearchParams({ q: tableQuery, limit: '20', offset: '0' })}`,
  )
  const list = <T,>(s: { state: { kind: string; data?: { items: T[] } } }): T[] =>
    s.state.kind === 'loaded' ? (s.state.data?.items ?? []) : []
  const pipelineName = new Map(list<Named>(pipelines).map((p) => [p.id, p.name]))

  const go = (to: Route) => {
    onOpenChange(false)
    setSearch('')
    navigate(to)
  }
  const act = (fn: () => void) => {
    onOpenChange(false)
    setSearch('')
    fn()
  }
  return (
    <D.Root open={open} onOpenChange={onOpenChange}>
      <D.Portal>
        <D.Overlay className="fixed inset-0 z-[900] bg-black/40" />
        <D.Content
          className="fixed top-[12vh] left-1/2 z-[901] w-[min(640px,calc(100vw-2rem))] -translate-x-1/2 overflow-hidden rounded-lg border border-border bg-panel shadow-lg"
          aria-describedby={undefined}
        >
          <D.Title className="sr-only">Command palette</D.Title>
          <Command label="Command palette" className="palette" loop>
            <Command.Input
              value={search}
              onValueChange={setSearch}
              placeholder="Jump to a notebook, table, pipeline, run or action…"
              aria-label="Search commands"
            />
            <Command.List>
              <Command.Empty>Nothing matches.</Command.Empty>
              {workspaceId && (
                <Command.Group heading="Actions">
                  <Item icon={<FilePlus2 size={14} />} onSelect={() => go({ page: 'notebooks', workspaceId })}>
                    New notebook
                  </Item>
                  <Item icon={<Plus size={14} />} onSelect={() => go({ page: 'pipeline-new', workspaceId })}>
                    New pipeline
                  </Item>
                  <Item icon={<House size={14} />} onSelect={() => go({ page: 'workspace', workspaceId })}>
                    Go to Home
                  </Item>
                  <Item
                    value="search the catalog tables"
                    icon={<Database size={14} />}
                    onSelect={() => go({ page: 'catalog', workspaceId, q: search })}
                  >
                    Search the catalog
                  </Item>
                  <Item icon={<FileSpreadsheet size={14} />} onSelect={() => go({ page: 'files', workspaceId })}>
                    Go to Files
                  </Item>
                  <Item icon={<Plug size={14} />} onSelect={() => go({ page: 'connections', workspaceId })}>
                    Go to Connections
                  </Item>
                  <Item icon={<Workflow size={14} />} onSelect={() => go({ page: 'pipelines', workspaceId })}>
                    Go to Pipelines
                  </Item>
                  <Item icon={<Users size={14} />} onSelect={() => go({ page: 'members', workspaceId })}>
                    Go to Members
                  </Item>
                </Command.Group>
              )}
              {workspaceId && list<Named>(notebooks).length > 0 && (
                <Command.Group heading="Notebooks">
                  {list<Named>(notebooks).map((n) => (
                    <Item
                      key={n.id}
                      value={`notebook ${n.name} ${n.id}`}
                      icon={<NotebookText size={14} />}
                      onSelect={() => go({ page: 'notebook', workspaceId, notebookId: n.id })}
                    >
                      {n.name}
                    </Item>
                  ))}
                </Command.Group>
              )}
              {workspaceId && list<Hit>(tables).length > 0 && (
                <Command.Group heading="Tables">
                  {list<Hit>(tables).map((t) => (
                    <Item
                      key={t.id}
                      value={`table ${t.schema}.${t.name} ${t.sourceName} ${t.id}`}
                      icon={<Table2 size={14} />}
                      onSelect={() => go({ page: 'catalog', workspaceId, assetId: t.id })}
                    >
                      {t.schema}.{t.name}
                      <span className="ml-auto text-xs text-muted">{t.sourceName}</span>
                    </Item>
                  ))}
                </Command.Group>
              )}
              {workspaceId && list<Named>(pipelines).length > 0 && (
                <Command.Group heading="Pipelines">
                  {list<Named>(pipelines).map((p) => (
                    <Item
                      key={p.id}
                      value={`pipeline ${p.name} ${p.id}`}
                      icon={<Workflow size={14} />}
                      onSelect={() => go({ page: 'pipeline', workspaceId, pipelineId: p.id })}
                    >
                      {p.name}
                    </Item>
                  ))}
                </Command.Group>
              )}
              {workspaceId && list<RunItem>(runs).length > 0 && (
                <Command.Group heading="Recent runs">
                  {list<RunItem>(runs).map((r) => (
                    <Item
                      key={r.id}
                      value={`run ${pipelineName.get(r.pipelineId) ?? ''} ${r.status} ${r.id}`}
                      icon={<Play size={14} />}
                      onSelect={() => go({ page: 'pipeline-run', workspaceId, runId: r.id })}
                    >
                      {pipelineName.get(r.pipelineId) ?? 'Run'} · {r.status}
                      <span className="ml-auto text-xs text-muted">{new Date(r.createdAt).toLocaleString()}</span>
                    </Item>
                  ))}
                </Command.Group>
              )}
              <Command.Group heading="Workspaces">
                {(workspaces ?? []).map((w) => (
                  <Item
                    key={w.id}
                    value={`workspace ${w.name} ${w.id}`}
                    onSelect={() => go({ page: 'workspace', workspaceId: w.id })}
                  >
                    Switch to {w.name}
                  </Item>
                ))}
                <Item icon={<Plus size={14} />} onSelect={() => act(onCreateWorkspace)}>
                  New workspace…
                </Item>
                <Item icon={<KeyRound size={14} />} onSelect={() => go({ page: 'tokens' })}>
                  API tokens
                </Item>
              </Command.Group>
            </Command.List>
          </Command>
        </D.Content>
      </D.Portal>
    </D.Root>
  )
}

function Item({
  children,
  icon,
  value,
  onSelect,
}: {
  children: ReactNode
  icon?: ReactNode
  value?: string
  onSelect: () => void
}) {
  return (
    <Command.Item value={value} onSelect={onSelect}>
      {icon}
      {children}
    </Command.Item>
  )
}
