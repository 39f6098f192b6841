import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { Worker } from '@temporalio/worker'
import { DeterminismViolationError } from '@temporalio/workflow'
import { describe, expect, it } from 'vitest'
import { quietRuntime, workflowBundle } from './support/pipeline-env.ts'

// Histories recorded from real runs (RECORD_HISTORIES=1 npx vitest run orchestrator/test/pipeline-workflow.test.ts,
// then `npm run format`).
// A workflow change that would break runs in flight fails here, before it ships.
const HISTORIES = path.join(import.meta.dirname, 'fixtures', 'histories')
const fixtures = readdirSync(HISTORIES)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({
    workflowId: file,
    history: JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')) as unknown,
  }))

quietRuntime()

describe('replay of recorded pipeline histories', () => {
  it('has recorded histories to replay', () => {
    expect(fixtures.map((f) => f.workflowId).sort()).toEqual([
      'cancelled.json',
      'conditions.json',
      'diamond.json',
      'failing-step.json',
      'reported.json',
    ])
  })

  it('replays every recorded history with the current workflow code', async () => {
    const bundle = await workflowBundle()
    const errors: string[] = []
    for (const { workflowId, history } of fixtures) {
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId).catch((err: unknown) => {
        errors.push(`${workflowId}: ${err}`)
      })
    }
    expect(errors).toEqual([])
  })

  it('catches a non-deterministic change to the workflow', async () => {
    const changed = await workflowBundle(path.join(import.meta.dirname, 'fixtures', 'nondeterministic-workflows.ts'))
    const diamond = fixtures.find((f) => f.workflowId === 'diamond.json')
    expect(diamond).toBeDefined()
    const error = await Worker.runReplayHistory({ workflowBundle: changed }, diamond?.history, 'diamond').catch(
      (err: unknown) => err,
    )
    expect(error).toBeInstanceOf(DeterminismViolationError)
  })
})
