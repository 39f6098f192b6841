import { EmptyState } from '../ui/EmptyState.tsx'

/** A section another part of Workbench fills in (Data, Pipelines) until it is there. */
export function Placeholder({ title }: { title: string }) {
  return (
    <section className="panel" aria-labelledby="placeholder-heading">
      <h2 id="placeholder-heading">{title}</h2>
      <EmptyState title={`${title} is coming soon.`} />
    </section>
  )
}
