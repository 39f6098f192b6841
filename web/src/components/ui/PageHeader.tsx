import type { ReactNode } from 'react'

/** A page's title row: the heading, a line saying what the page is for, and its main actions on the right. */
export function PageHeader({
  title,
  description,
  actions,
  id,
}: {
  title: ReactNode
  description?: ReactNode
  actions?: ReactNode
  id?: string
}) {
  return (
    <div className="page-header">
      <div className="min-w-0">
        <h1 id={id} className="truncate">
          {title}
        </h1>
        {description && <p className="text-muted">{description}</p>}
      </div>
      {actions && <div className="flex shrink-0 items-center gap-2">{actions}</div>}
    </div>
  )
}
