/** Offset paging controls: "1–50 of 120" with previous/next. */
export function Pager({
  offset,
  limit,
  total,
  onChange,
  label = 'Pages',
}: {
  offset: number
  limit: number
  total: number
  onChange: (offset: number) => void
  label?: string
}) {
  if (total <= limit && offset === 0) return null
  const last = Math.min(offset + limit, total)
  return (
    <nav className="pager inline" aria-label={label}>
      <button type="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        Previous
      </button>
      <span>
        {total === 0 ? 0 : offset + 1}–{last} of {total}
      </span>
      <button type="button" disabled={last >= total} onClick={() => onChange(offset + limit)}>
        Next
      </button>
    </nav>
  )
}

/** "Load more" paging for cursor-based lists (audit log): shown while there is more. */
export function MorePager({ hasMore, onMore, label }: { hasMore: boolean; onMore: () => void; label: string }) {
  if (!hasMore) return null
  return (
    <button type="button" onClick={onMore}>
      {label}
    </button>
  )
}
