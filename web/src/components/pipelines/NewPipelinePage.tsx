import './pipelines.css'
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react'
import type { Workspace } from '../../core/auth/types.ts'
import { notebooksApi } from '../../core/notebooks/notebooks-api.ts'
import type { NotebookFile } from '../../core/notebooks/types.ts'
import { pipelinesApi, problemsOf } from '../../core/pipelines/pipelines-api.ts'
import { outlineOfYaml, starterYaml } from '../../core/pipelines/spec-outline.ts'
import type { CompiledPipeline } from '../../core/pipelines/types.ts'
import { hrefFor, navigate } from '../../core/routing/routes.ts'
import { toast } from '../../core/ui/toasts.ts'
import { usePipelineValidation } from '../../hooks/use-pipeline-validation.ts'
import { ErrorText } from '../ui/ErrorText.tsx'
import { PipelineDag } from './PipelineDag.tsx'
import { ProblemList } from './ProblemList.tsx'
import { YamlEditor, type YamlEditorHandle } from './YamlEditor.tsx'

/**
 * A new pipeline: YAML prefilled with a minimal valid spec, or compiled from a notebook for review.
 * Either way the user edits the YAML, sees every problem, and saves version 1.
 */
export default function NewPipelinePage({ workspace, from }: { workspace: Workspace; from?: 'notebook' }) {
  const api = pipelinesApi(workspace.id)
  const [yaml, setYaml] = useState(() => (from === 'notebook' ? '' : starterYaml('my-pipeline')))
  const [error, setError] = useState<unknown>()
  const [saving, setSaving] = useState(false)
  const editor = useRef<YamlEditorHandle>(null)
  const validation = usePipelineValidation(api, yaml, true)
  const outline = useMemo(() => outlineOfYaml(yaml), [yaml])

  const save = async () => {
    setSaving(true)
    setError(undefined)
    try {
      const created = await api.create(yaml)
      toast(`Saved ${created.name} (version 1)`, 'success')
      navigate({ page: 'pipeline', workspaceId: workspace.id, pipelineId: created.id })
    } catch (err) {
      const problems = problemsOf(err)
      if (problems) validation.setProblems(problems)
      else setError(err)
    } finally {
      setSaving(false)
    }
  }

  return (
    <section className="panel stack pipeline-page" aria-labelledby="new-pipeline-heading">
      <p>
        <a href={hrefFor({ page: 'pipelines', workspaceId: workspace.id })}>← Pipelines</a>
      </p>
      <h2 id="new-pipeline-heading">{from === 'notebook' ? 'Pipeline from a notebook' : 'New pipeline'}</h2>
      {from === 'notebook' && <CompileForm workspaceId={workspace.id} onCompiled={(c) => setYaml(c.yaml)} />}
      {(from !== 'notebook' || yaml) && (
        <div className="pipeline-columns">
          <div className="stack">
            <YamlEditor
              value={yaml}
              onChange={setYaml}
              readOnly={false}
              problems={validation.problems}
              label="Pipeline YAML"
              handle={editor}
            />
            <ProblemList problems={validation.problems} onSelect={(l, c) => editor.current?.reveal(l, c)} />
            <p className="inline">
              <button type="button" onClick={() => void save()} disabled={saving || !yaml.trim()}>
                {saving ? 'Saving…' : 'Save pipeline'}
              </button>
              <span className="muted" aria-live="polite" data-testid="validation-state">
                {validation.state.kind === 'checking'
                  ? 'Checking…'
                  : validation.state.kind === 'checked' && validation.problems.length === 0
                    ? 'Valid'
                    : ''}
              </span>
            </p>
            <ErrorText error={error} />
          </div>
          <div>
            <h3>Steps</h3>
            {outline ? <PipelineDag steps={outline.steps} /> : <p className="muted">The YAML does not parse yet.</p>}
          </div>
        </div>
      )}
    </section>
  )
}

/** Pick a notebook, compile it (a version is pinned), and hand the YAML to the editor for review. */
function CompileForm({ workspaceId, onCompiled }: { workspaceId: string; onCompiled: (c: CompiledPipeline) => void }) {
  const [notebooks, setNotebooks] = useState<NotebookFile[]>()
  const [error, setError] = useState<unknown>()
  const [compiled, setCompiled] = useState<CompiledPipeline>()
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    notebooksApi(workspaceId)
      .list({ limit: 200, offset: 0 })
      .then((page) => setNotebooks(page.items))
      .catch(setError)
  }, [workspaceId])

  const compile = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const data = new FormData(e.currentTarget)
    const notebookId = String(data.get('notebook') ?? '')
    const name = String(data.get('name') ?? '').trim()
    if (!notebookId) return
    setBusy(true)
    setError(undefined)
    try {
      const result = await pipelinesApi(workspaceId).compileNotebook(notebookId, name || undefined)
      setCompiled(result)
      onCompiled(result)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="stack" aria-label="Compile a notebook" onSubmit={(e) => void compile(e)}>
      <div className="inline">
        <label>
          Notebook{' '}
          <select name="notebook" required defaultValue="">
            <option value="" disabled>
              {notebooks ? (notebooks.length ? 'Choose a notebook' : 'No notebooks in this workspace') : 'Loading…'}
            </option>
            {notebooks?.map((n) => (
              <option key={n.id} value={n.id}>
                {n.folder ? `${n.folder}/` : ''}
                {n.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Pipeline name <input name="name" placeholder="daily-sales" pattern="[a-z0-9]([a-z0-9_\-]*[a-z0-9])?" />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Compiling…' : 'Compile'}
        </button>
      </div>
      <ErrorText error={error} />
      {compiled && (
        <div data-testid="compile-result">
          <p>
            {compiled.steps.length} step(s), pinned to{' '}
            {compiled.pinnedBy === 'version'
              ? `notebook version ${compiled.notebookVersionId}`
              : `document state ${compiled.notebookSeq}`}
            . Review and edit the YAML below, then save.
          </p>
          {compiled.problems.length > 0 && (
            <ul className="problems">
              {compiled.problems.map((p, i) => (
                <li key={i}>
                  {p.step ? `${p.step}: ` : ''}
                  {p.cellIndex !== undefined ? `cell ${p.cellIndex + 1}: ` : ''}
                  {p.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </form>
  )
}
