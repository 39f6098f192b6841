/** Short-lived notices in a corner of the screen, from anywhere in the app. */
export interface Toast {
  id: number
  kind: 'info' | 'success' | 'error'
  message: string
}

let nextId = 1
let toasts: Toast[] = []
const listeners = new Set<(toasts: Toast[]) => void>()

function publish(next: Toast[]): void {
  toasts = next
  for (const listener of listeners) listener(toasts)
}

/** Shows `message`; errors stay longer than the rest. */
export function toast(message: string, kind: Toast['kind'] = 'info'): void {
  const id = nextId++
  publish([...toasts, { id, kind, message }])
  setTimeout(() => dismissToast(id), kind === 'error' ? 8_000 : 4_000)
}

export function dismissToast(id: number): void {
  publish(toasts.filter((t) => t.id !== id))
}

export function subscribeToasts(listener: (toasts: Toast[]) => void): () => void {
  listeners.add(listener)
  listener(toasts)
  return () => listeners.delete(listener)
}

/** A message for any thrown value, for toasts. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
