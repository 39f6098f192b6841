import type { StepRun } from '../../core/pipelines/types.ts'

interface Artifact {
  label: string
  detail: string
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** What a step produced: its recorded artifacts and an executed notebook in its output (`output.artifact`). */
export function artifactsOf(step: StepRun): Artifact[] {
  const found: Artifact[] = []
  for (const a of step.artifacts) {
    if (!isRecord(a)) continue
    const label = typeof a.kind === 'string' ? a.kind : 'artifact'
    found.push({ label, detail: typeof a.id === 'string' ? a.id : typeof a.path === 'string' ? a.path : '' })
  }
  const output = isRecord(step.output) ? step.output : undefined
  const artifact = output && isRecord(output.artifact) ? output.artifact : undefined
  if (artifact && typeof artifact.path === 'string') {
    const name = artifact.path.split(/[\\/]/).pop() ?? artifact.path
    const size = typeof artifact.bytes === 'number' ? `${Math.max(1, Math.round(artifact.bytes / 1024))} KB` : ''
    found.push({
      label: artifact.format === 'ipynb' ? 'executed notebook' : name,
      detail: [name, size].filter(Boolean).join(', '),
    })
  }
  return found
}

/**
 * A step's artifacts, listed by name and size. There is no download route for them yet: the executed
 * notebook stays in the workspace data folder, under pipeline-artifacts/.
 */
export function StepArtifacts({ step }: { step: StepRun }) {
  const list = artifactsOf(step)
  if (list.length === 0) return <span className="muted">—</span>
  return (
    <ul className="plain" data-testid="step-artifacts">
      {list.map((a, i) => (
        <li key={i} title={a.detail}>
          {a.label} <span className="muted">{a.detail}</span>
        </li>
      ))}
    </ul>
  )
}
