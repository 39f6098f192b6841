import { DropdownMenu } from 'radix-ui'
import type { ReactNode } from 'react'

/** A dropdown menu (Radix: arrow keys, typeahead, Escape). */
export function Menu({
  trigger,
  children,
  align = 'start',
  label,
}: {
  trigger: ReactNode
  children: ReactNode
  align?: 'start' | 'end'
  label?: string
}) {
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger asChild>{trigger}</DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content
          align={align}
          sideOffset={4}
          aria-label={label}
          className="z-[1000] min-w-56 rounded-md border border-border bg-panel p-1 shadow-lg"
        >
          {children}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  )
}

const ITEM =
  'flex cursor-pointer items-center gap-2 rounded-sm px-2 py-1.5 text-sm text-fg outline-none select-none data-[highlighted]:bg-active data-[disabled]:opacity-50'

export function MenuItem({
  children,
  onSelect,
  href,
  icon,
}: {
  children: ReactNode
  onSelect?: () => void
  href?: string
  icon?: ReactNode
}) {
  if (href)
    return (
      <DropdownMenu.Item asChild className={ITEM}>
        <a href={href} className="no-underline">
          {icon}
          {children}
        </a>
      </DropdownMenu.Item>
    )
  return (
    <DropdownMenu.Item className={ITEM} onSelect={onSelect}>
      {icon}
      {children}
    </DropdownMenu.Item>
  )
}

export function MenuLabel({ children }: { children: ReactNode }) {
  return <DropdownMenu.Label className="px-2 py-1 text-xs font-medium text-muted">{children}</DropdownMenu.Label>
}

export function MenuSeparator() {
  return <DropdownMenu.Separator className="my-1 h-px bg-border" />
}

export function MenuRadio<T extends string>({
  value,
  onChange,
  options,
}: {
  value: T
  onChange: (value: T) => void
  options: { value: T; label: string; icon?: ReactNode }[]
}) {
  return (
    <DropdownMenu.RadioGroup
      value={value}
      onValueChange={(v) => {
        const picked = options.find((o) => o.value === v)
        if (picked) onChange(picked.value)
      }}
    >
      {options.map((o) => (
        <DropdownMenu.RadioItem key={o.value} value={o.value} className={ITEM}>
          {o.icon}
          <span className="flex-1">{o.label}</span>
          <DropdownMenu.ItemIndicator>✓</DropdownMenu.ItemIndicator>
        </DropdownMenu.RadioItem>
      ))}
    </DropdownMenu.RadioGroup>
  )
}
