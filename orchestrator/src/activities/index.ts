import { Context } from '@temporalio/activity'

/** What activities need from the application; the worker's host (workbench) supplies it. */
export interface ActivityDeps {
  /** Identifies the process running the activity, so a smoke run proves which worker executed it. */
  workerIdentity: string
}

/**
 * Builds the activity implementations around their dependencies (Temporal samples' pattern): the
 * worker registers the returned object, workflows import only its type.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    /** The smoke path's single activity: echoes its input with the worker that ran it. */
    async smokeEcho(message: string): Promise<{ message: string; worker: string; attempt: number }> {
      return { message, worker: deps.workerIdentity, attempt: Context.current().info.attempt }
    },
  }
}

export type Activities = ReturnType<typeof createActivities>
