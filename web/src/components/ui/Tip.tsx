import { Tooltip } from 'radix-ui'
import type { ReactNode } from 'react'

/** A tooltip (Radix) on hover and keyboard focus; the child must be a focusable element. */
export function Tip({
  label,
  children,
  side = 'bottom',
}: {
  label: ReactNode
  children: ReactNode
  side?: 'top' | 'bottom' | 'left' | 'right'
}) {
  return (
    <Tooltip.Root delayDuration={300}>
      <Tooltip.Trigger asChild>{children}</Tooltip.Trigger>
      <Tooltip.Portal>
        <Tooltip.Content
          side={side}
          sideOffset={6}
          className="z-[1100] rounded-md bg-fg px-2 py-1 text-xs text-bg shadow-lg"
        >
          {label}
        </Tooltip.Content>
      </Tooltip.Portal>
    </Tooltip.Root>
  )
}
