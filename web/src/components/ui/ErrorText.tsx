import { ApiError } from '../../core/api/client.ts'

/** An API error as a person reads it; the code is kept in a data attribute for tests and support. */
export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null
  const message = error instanceof Error ? error.message : String(error)
  const code = error instanceof ApiError ? error.code : 'error'
  return (
    <p role="alert" className="status-down" data-code={code}>
      {message}
    </p>
  )
}
