import type { NotebookExecution } from './notebook-execution.ts'
import type { SessionManager } from './session-manager.ts'

/** What the execution routes need; the runtime provides it once the metadata DB and collaboration are up. */
export interface KernelDeps {
  sessions: SessionManager
  execution: NotebookExecution
}
