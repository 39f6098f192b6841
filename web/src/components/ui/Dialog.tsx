import { X } from 'lucide-react'
import { Dialog as D } from 'radix-ui'
import type { ReactNode } from 'react'

/** A modal dialog (Radix: focus trapped, Escape closes, labelled by its title). */
export function Dialog({
  open,
  onOpenChange,
  title,
  description,
  children,
  wide,
}: {
  open: boolean
  onOpenChange: (open: boolean) => void
  title: string
  description?: string
  children: ReactNode
  wide?: boolean
}) {
  return (
    <D.Root open={open} onOpenChange={onOpenChange}>
      <D.Portal>
        <D.Overlay className="fixed inset-0 z-[900] bg-black/40" />
        <D.Content
          className={`fixed top-[12vh] left-1/2 z-[901] w-[calc(100vw-2rem)] -translate-x-1/2 rounded-lg border border-border bg-panel p-5 shadow-lg ${wide ? 'max-w-2xl' : 'max-w-md'}`}
          {...(description ? {} : { 'aria-describedby': undefined })}
        >
          <div className="mb-3 flex items-start justify-between gap-4">
            <D.Title className="text-lg font-semibold">{title}</D.Title>
            <D.Close asChild>
              <button type="button" className="ghost icon-button" aria-label="Close">
                <X size={16} aria-hidden="true" />
              </button>
            </D.Close>
          </div>
          {description && <D.Description className="mb-3 text-muted">{description}</D.Description>}
          {children}
        </D.Content>
      </D.Portal>
    </D.Root>
  )
}
