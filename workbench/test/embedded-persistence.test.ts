import { rmSync } from 'node:fs'
import { OrchestratorClient } from '@workbench/orchestrator/client'
import { afterAll, describe, expect, it } from 'vitest'
import { startTestWorkbench, type TestWorkbench } from './support/workbench.ts'

function orchestrator(workbench: TestWorkbench): OrchestratorClient {
  return new OrchestratorClient({
    connection: workbench.temporal.connection,
    namespace: workbench.temporal.namespace,
    taskQueue: workbench.config.temporal.taskQueue,
  })
}

describe('embedded state survives a restart of the workbench', () => {
  let dataDir: string | undefined
  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('keeps metadata (PGlite file) and Temporal workflow history (dev server DB file) in the data folder', async () => {
    const first = await startTestWorkbench()
    dataDir = first.dataDir
    const workflowId = `persist-${Date.now()}`
    await orchestrator(first).runSmoke('before restart', workflowId)
    await first.db.db
      .insertInto('instance_settings')
      .values({ key: 'restart-probe', value: JSON.stringify('kept') })
      .execute()
    await first.dispose({ keepData: true })

    const second = await startTestWorkbench({}, { dataDir })
    try {
      const row = await second.db.db
        .selectFrom('instance_settings')
        .select('value')
        .where('key', '=', 'restart-probe')
        .executeTakeFirst()
      expect(row?.value).toBe('kept')
      const description = await orchestrator(second).describe(workflowId)
      expect(description.status).toBe('COMPLETED')
    } finally {
      await second.dispose({ keepData: true })
    }
  })
})
