import { zodResolver } from '@hookform/resolvers/zod'
import { useState } from 'react'
import { useForm } from 'react-hook-form'
import { z } from 'zod'
import { api } from '../../core/api/client.ts'
import type { Workspace } from '../../core/auth/types.ts'
import { navigate } from '../../core/routing/routes.ts'
import { Dialog } from '../ui/Dialog.tsx'
import { ErrorText } from '../ui/ErrorText.tsx'

/** The server's rule for a workspace name (1–100 characters after trimming). */
export const workspaceNameSchema = z.object({
  name: z.string().trim().min(1, 'Give the workspace a name.').max(100, 'At most 100 characters.'),
})
type Values = z.infer<typeof workspaceNameSchema>

/** "New workspace": a dialog, not a form on every page; lands on the new workspace's home. */
export function CreateWorkspaceDialog({
  open,
  onOpenChange,
  onCreated,
}: {
  open: boolean
  onOpenChange: (open: boolean) => void
  onCreated: () => Promise<void>
}) {
  const form = useForm<Values>({ resolver: zodResolver(workspaceNameSchema), defaultValues: { name: '' } })
  const [error, setError] = useState<unknown>()
  const submit = form.handleSubmit(async ({ name }) => {
    setError(undefined)
    try {
      const ws = await api<Workspace>('POST', '/api/workspaces', { name })
      await onCreated()
      form.reset()
      onOpenChange(false)
      navigate({ page: 'workspace', workspaceId: ws.id })
    } catch (err) {
      setError(err)
    }
  })
  const nameError = form.formState.errors.name?.message
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="New workspace"
      description="A workspace holds notebooks, data, connections and pipelines, shared with its members."
    >
      <form onSubmit={submit} className="stack" noValidate>
        <label>
          <span className="font-medium">Name</span>
          <input
            aria-label="New workspace name"
            placeholder="e.g. Sales analytics"
            autoComplete="off"
            aria-invalid={nameError ? true : undefined}
            {...form.register('name')}
          />
          {nameError && <span className="text-sm text-down">{nameError}</span>}
        </label>
        <ErrorText error={error} />
        <div className="flex justify-end gap-2">
          <button type="button" onClick={() => onOpenChange(false)}>
            Cancel
          </button>
          <button type="submit" disabled={form.formState.isSubmitting}>
            Create workspace
          </button>
        </div>
      </form>
    </Dialog>
  )
}
