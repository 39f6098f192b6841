import type { LucideIcon } from 'lucide-react'
import { type ButtonHTMLAttributes, forwardRef } from 'react'
import { Tip } from './Tip.tsx'

type Props = ButtonHTMLAttributes<HTMLButtonElement> & {
  /** The accessible name, also shown as the tooltip. */
  label: string
  icon: LucideIcon
  /** Extra text in the tooltip (a shortcut). */
  hint?: string
}

/** A square icon-only button with a tooltip: the toolbar idiom (JupyterLab, Hex). */
export const IconButton = forwardRef<HTMLButtonElement, Props>(function IconButton(
  { label, icon: Icon, hint, className, type = 'button', ...rest },
  ref,
) {
  return (
    <Tip label={hint ? `${label} (${hint})` : label}>
      <button ref={ref} type={type} aria-label={label} className={`icon-button ghost ${className ?? ''}`} {...rest}>
        <Icon size={16} aria-hidden="true" />
      </button>
    </Tip>
  )
})
