import type { PipelinesApi } from '../../core/pipelines/pipelines-api.ts'
import type { StepArtifact, StepRun } from '../../core/pipelines/types.ts'

/** A file size for people: bytes, KB or MB. */
export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) return ''
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** What the run page calls an artifact kind. */
function labelOf(artifact: StepArtifact): string {
  return artifact.kind === 'notebook' ? 'executed notebook' : artifact.kind === 'outputs' ? 'outputs' : artifact.kind
}

/** A step's artifacts (the server's `artifacts` list), each a download link to the artifact route. */
export function StepArtifacts({ api, runId, step }: { api: PipelinesApi; runId: string; step: StepRun }) {
  if (step.artifacts.length === 0) return <span className="muted">—</span>
  return (
    <ul className="plain" data-testid="step-artifacts">
      {step.artifacts.map((a) => (
        <li key={a.name}>
          <a href={api.artifactUrl(runId, step.stepId, a.name)} download={a.name} title={`Download ${a.name}`}>
            {a.name}
          </a>{' '}
          <span className="muted">{[labelOf(a), formatSize(a.size)].filter(Boolean).join(', ')}</span>
        </li>
      ))}
    </ul>
  )
}
