import type { ReactNode } from 'react'

/** What a list shows when there is nothing in it: why, and what to do next. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state" data-testid="empty-state">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  )
}
