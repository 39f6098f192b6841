import { proxyActivities } from '@temporalio/workflow'
import type { Activities } from '../activities/index.ts'

const { smokeEcho } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
})

/** Proves worker, client and server work together: one activity round trip. */
export async function smokeWorkflow(message: string): Promise<{ message: string; worker: string; attempt: number }> {
  return smokeEcho(message)
}
