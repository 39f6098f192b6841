import './pipelines.css'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { roleAtLeast, type Workspace } from '../../core/auth/types.ts'
import { formatTime, statusLabel } from '../../core/pipelines/format.ts'
import { pipelinesApi, problemsOf } from '../../core/pipelines/pipelines-api.ts'
import { outlineOf, outlineOfYaml } from '../../core/pipelines/spec-outline.ts'
import type { PipelineVersion, PipelineWithSpec, Run, RunDetail } from '../../core/pipelines/types.ts'
import { hrefFor, navigate } from '../../core/routing/routes.ts'
import { errorMessage, toast } from '../../core/ui/toasts.ts'
import { usePipelineValidation } from '../../hooks/use-pipeline-validation.ts'
import { ErrorText } from '../ui/ErrorText.tsx'
import { Skeleton } from '../ui/Skeleton.tsx'
import { AlertsPanel } from './AlertsPanel.tsx'
import { PipelineDag } from './PipelineDag.tsx'
import { ProblemList } from './ProblemList.tsx'
import { RunForm } from './RunForm.tsx'
import { RunsTable } from './RunsTable.tsx'
import { SchedulePanel } from './SchedulePanel.tsx'
import { YamlEditor, type YamlEditorHandle } from './YamlEditor.tsx'

/**
 * One pipeline: its YAML (validated as it is typed; saving makes a version; older versions viewable),
 * the step graph coloured by the latest run, running it with parameters, its schedule, runs and alerts.
 * Viewers see all of it read-only.
 */
export default function PipelinePage({ workspace, pipelineId }: { workspace: Workspace; pipelineId: string }) {
  const api = pipelinesApi(workspace.id)
  const canEdit = roleAtLeast(workspace.role, 'editor')
  const [pipeline, setPipeline] = useState<PipelineWithSpec>()
  const [error, setError] = useState<unknown>()
  const [draft, setDraft] = useState('')
  const [versions, setVersions] = useState<PipelineVersion[]>([])
  const [viewing, setViewing] = useState<{ version: number; yaml: string }>()
  const [saving, setSaving] = useState(false)
  const [refreshKey, setRefreshKey] = useState(0)
  const [latest, setLatest] = useState<RunDetail>()
  const editor = useRef<YamlEditorHandle>(null)
  const validation = usePipelineValidation(api, draft, canEdit && !viewing && draft !== pipeline?.yaml)

  const load = useCallback(async () => {
    try {
      const [p, v] = await Promise.all([api.get(pipelineId), api.versions(pipelineId)])
      setPipeline(p)
      setDraft(p.yaml)
      setVersions(v.items)
      setViewing(undefined)
      validation.setProblems([])
    } catch (err) {
      setError(err)
    }
  }, [workspace.id, pipelineId])
  useEffect(() => {
    void load()
  }, [load])

  // The newest run's step statuses colour the graph; RunsTable polls while one is going.
  const onRuns = useCallback(
    (runs: Run[]) => {
      const newest = runs[0]
      if (!newest) return setLatest(undefined)
      api
        .run(newest.id)
        .then(setLatest)
        .catch(() => {})
    },
    [workspace.id],
  )

  const shownYaml = viewing?.yaml ?? draft
  const outline = useMemo(
    () => outlineOfYaml(shownYaml) ?? (pipeline ? outlineOf(pipeline.spec) : undefined),
    [shownYaml, pipeline],
  )
  const savedOutline = useMemo(() => (pipeline ? outlineOf(pipeline.spec) : undefined), [pipeline])
  const statuses = useMemo(() => new Map(latest?.steps.map((s) => [s.stepId, s.status]) ?? []), [latest])

  if (error) return <ErrorText error={error} />
  if (!pipeline || !outline || !savedOutline) return <Skeleton lines={6} label="Loading the pipeline" />
  const dirty = draft !== pipeline.yaml
  const problems = viewing || !dirty ? [] : validation.problems

  const save = async () => {
    setSaving(true)
    try {
      const saved = await api.save(pipeline.id, draft)
      toast(`Saved version ${saved.currentVersion}`, 'success')
      await load()
    } catch (err) {
      const found = problemsOf(err)
      if (found) validation.setProblems(found)
      else toast(errorMessage(err), 'error')
    } finally {
      setSaving(false)
    }
  }
  const view = async (version: number) => {
    if (version === pipeline.currentVersion) return setViewing(undefined)
    try {
      const v = await api.version(pipeline.id, version)
      setViewing({ version: v.version, yaml: v.yaml })
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }
  const remove = async () => {
    if (!window.confirm(`Delete the pipeline ${pipeline.name}, its schedule and its run history?`)) return
    try {
      await api.remove(pipeline.id)
      navigate({ page: 'pipelines', workspaceId: workspace.id })
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }
  const changed = () => {
    setRefreshKey((k) => k + 1)
    void load()
  }

  return (
    <section className="panel stack pipeline-page" aria-labelledby="pipeline-heading">
      <p>
        <a href={hrefFor({ page: 'pipelines', workspaceId: workspace.id })}>← Pipelines</a>
      </p>
      <div className="inline spread">
        <h2 id="pipeline-heading">{pipeline.name}</h2>
        <span className="muted">
          {/* The version's own time: settings (SLA, alerts, pause) change the pipeline, not its definition. */}
          version {pipeline.currentVersion} · saved{' '}
          <span
            data-testid="version-saved-at"
            data-at={versions.find((v) => v.version === pipeline.currentVersion)?.createdAt}
          >
            {formatTime(versions.find((v) => v.version === pipeline.currentVersion)?.createdAt)}
          </span>
        </span>
        {canEdit && (
          <button type="button" className="danger" onClick={() => void remove()}>
            Delete pipeline
          </button>
        )}
      </div>
      <div className="pipeline-columns">
        <section aria-labelledby="definition-heading" className="stack">
          <h3 id="definition-heading">Definition</h3>
          <div className="inline">
            <label htmlFor="pipeline-version">Version</label>
            <select
              id="pipeline-version"
              value={viewing?.version ?? pipeline.currentVersion}
              onChange={(e) => void view(Number(e.target.value))}
            >
              {versions.map((v) => (
                <option key={v.version} value={v.version}>
                  {v.version}
                  {v.version === pipeline.currentVersion ? ' (current)' : ''} · {formatTime(v.createdAt)}
                </option>
              ))}
            </select>
            {viewing && (
              <>
                <span role="status">Viewing version {viewing.version} (read-only)</span>
                <button type="button" onClick={() => setViewing(undefined)}>
                  Back to current
                </button>
                {canEdit && (
                  <button
                    type="button"
                    onClick={() => {
                      setDraft(viewing.yaml)
                      setViewing(undefined)
                    }}
                  >
                    Edit from this version
                  </button>
                )}
              </>
            )}
          </div>
          <YamlEditor
            value={shownYaml}
            onChange={viewing ? undefined : setDraft}
            readOnly={!canEdit || !!viewing}
            problems={problems}
            label={`Pipeline YAML, version ${viewing?.version ?? pipeline.currentVersion}`}
            handle={editor}
          />
          <ProblemList problems={problems} onSelect={(l, c) => editor.current?.reveal(l, c)} />
          {canEdit && !viewing && (
            <p className="inline">
              <button type="button" onClick={() => void save()} disabled={!dirty || saving}>
                {saving ? 'Saving…' : 'Save as a new version'}
              </button>
              <button type="button" onClick={() => setDraft(pipeline.yaml)} disabled={!dirty}>
                Discard changes
              </button>
              <span className="muted" aria-live="polite" data-testid="validation-state">
                {!dirty
                  ? 'No changes'
                  : validation.state.kind === 'checking'
                    ? 'Checking…'
                    : validation.state.kind === 'checked' && problems.length === 0
                      ? 'Valid'
                      : ''}
              </span>
            </p>
          )}
        </section>
        <section aria-labelledby="graph-heading" className="stack">
          <h3 id="graph-heading">Steps</h3>
          {latest && (
            <p className="muted" data-testid="latest-run">
              Latest run:{' '}
              <a href={hrefFor({ page: 'pipeline-run', workspaceId: workspace.id, runId: latest.id })}>
                {statusLabel(latest.status)}
              </a>{' '}
              (version {latest.version})
            </p>
          )}
          <PipelineDag steps={outline.steps} statuses={statuses} />
          {canEdit && (
            <>
              <h3>Run</h3>
              {dirty && (
                <p className="muted">Runs use the saved version {pipeline.currentVersion}, not the unsaved changes.</p>
              )}
              <RunForm api={api} workspaceId={workspace.id} pipelineId={pipeline.id} params={savedOutline.params} />
            </>
          )}
        </section>
      </div>
      <SchedulePanel
        api={api}
        pipelineId={pipeline.id}
        yaml={pipeline.yaml}
        schedule={savedOutline.schedule}
        canEdit={canEdit}
        dirty={dirty}
        onSaved={changed}
      />
      <RunsTable
        api={api}
        workspaceId={workspace.id}
        pipelineId={pipeline.id}
        refreshKey={refreshKey}
        onRuns={onRuns}
      />
      <AlertsPanel api={api} pipeline={pipeline} workspaceId={workspace.id} canEdit={canEdit} onSaved={changed} />
    </section>
  )
}
