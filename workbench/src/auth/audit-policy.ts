/**
 * What the audit log keeps. Every change, every sign-in event, every refusal and failure, and every read of data
 * itself (result rows, charts, exports, file contents, previews, profiles, artifacts, logs, the audit log); not
 * the reads a page makes to show its state (lists, statuses, settings), which the UI polls and which would bury
 * the events that matter (50 rows were two minutes of one user).
 */

export type AuditCategory = 'auth' | 'change' | 'data' | 'denied'
export const AUDIT_CATEGORIES: readonly AuditCategory[] = ['auth', 'change', 'data', 'denied']

/** Successful reads that return data (rows, file contents, outputs): kept like changes. Prefixes end with '.'. */
export const DATA_READ_ACTIONS: readonly string[] = [
  'kernels.results.',
  'notebooks.export',
  'notebooks.versions.read',
  'notebooks.versions.diff',
  'files.read',
  'files.preview',
  'catalog.assets.preview',
  'catalog.assets.profile',
  'catalog.preview.unmasked',
  'pipelines.runs.artifact',
  'pipelines.runs.logs',
  'pipelines.runs.logs.live',
  'audit.',
  'admin.audit.',
  'sql.scratch',
  'kernels.execute',
]

/** Writes by method that change nothing: checks a page makes as the user types. Kept only when refused. */
const QUIET_WRITES: readonly string[] = ['pipelines.validate', 'pipelines.compile', 'invitations.lookup']

function matches(action: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('.') ? action.startsWith(p) : action === p))
}

/** The category an event of `action` is filed under (denied events are filed by outcome, not action). */
export function auditCategory(action: string): Exclude<AuditCategory, 'denied'> {
  if (action.startsWith('auth.')) return 'auth'
  if (matches(action, DATA_READ_ACTIONS) || action.endsWith('.unmasked')) return 'data'
  return 'change'
}

/**
 * Whether a request's event is written. Refusals and failures always are (they are what an investigation looks
 * for); successes are when they change something or read data.
 *
 * @example
 * shouldAudit('pipelines.runs.read', 'GET', 'success') // false: the run page polls it
 * shouldAudit('kernels.results.export', 'GET', 'success') // true: data left the server
 */
export function shouldAudit(action: string, method: string, outcome: 'success' | 'failure' | 'denied'): boolean {
  if (outcome !== 'success') return true
  if (action.startsWith('auth.') || matches(action, DATA_READ_ACTIONS) || action.endsWith('.unmasked')) return true
  const safe = method === 'GET' || method === 'HEAD' || method === 'OPTIONS'
  return !safe && !QUIET_WRITES.includes(action)
}
