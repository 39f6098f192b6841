// Workflow bundle of the pipelines benchmark: the product's workflows plus the raw-Temporal baseline.
import { proxyActivities } from '@temporalio/workflow'

export * from '../../orchestrator/src/workflows/index.ts'

const { benchNoop } = proxyActivities<{ benchNoop(i: number): Promise<number> }>({
  startToCloseTimeout: '1m',
  heartbeatTimeout: '20s',
})

/** Baseline: `n` sequential no-op activities, no interpreter, no reporting. */
export async function baselineLinear(n: number): Promise<number> {
  let total = 0
  for (let i = 0; i < n; i++) total += await benchNoop(i)
  return total
}
