import { Tabs as T } from 'radix-ui'
import type { ReactNode } from 'react'

/**
 * Tabs (Radix: arrow keys between tabs, one tab stop). Controlled by the caller so the URL can hold the
 * open tab (a deep link to an asset's lineage).
 */
export function Tabs<V extends string>({
  value,
  onChange,
  tabs,
  label,
}: {
  value: V
  onChange: (value: V) => void
  tabs: { value: V; label: ReactNode; content: ReactNode }[]
  label: string
}) {
  return (
    <T.Root
      value={value}
      onValueChange={(v) => {
        const picked = tabs.find((t) => t.value === v)
        if (picked) onChange(picked.value)
      }}
    >
      <T.List aria-label={label} className="tabs">
        {tabs.map((t) => (
          <T.Trigger key={t.value} value={t.value}>
            {t.label}
          </T.Trigger>
        ))}
      </T.List>
      {tabs.map((t) => (
        <T.Content key={t.value} value={t.value} className="stack tab-panel">
          {t.content}
        </T.Content>
      ))}
    </T.Root>
  )
}
