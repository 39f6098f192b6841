import { readFileSync } from 'node:fs'
import path from 'node:path'
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js'
import { describe, expect, it } from 'vitest'
import { stepStatesFromHistory, workflowStepStates } from './step-states.ts'

const HISTORIES = path.join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'histories')
const eventsOf = (file: string) =>
  historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8'))).events ?? []

describe('step states from a recorded history (what the reconciler reads)', () => {
  it('gives each step of a finished run its status, attempt, times and output', () => {
    const states = stepStatesFromHistory(eventsOf('diamond.json'))
    expect(Object.keys(states).sort()).toEqual(['check', 'left', 'load', 'right'])
    for (const state of Object.values(states)) {
      expect(state).toMatchObject({ status: 'succeeded', attempts: 1 })
      expect(Date.parse(state.endedAt ?? '')).toBeGreaterThan(Date.parse(state.startedAt ?? ''))
    }
    expect(states.left?.startedAt).toBe('2026-11-22T09:03:53.841Z')
    expect(states.left?.endedAt).toBe('2026-11-22T09:03:53.974Z')
    expect(states.load?.output).toBeDefined()
  })

  it('gives a failed step its last attempt and the error its code raised', () => {
    const states = stepStatesFromHistory(eventsOf('failing-step.json'))
    expect(states.flaky).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: expect.stringContaining('answered HTTP 500: boom'),
    })
  })

  it("takes the workflow's own states from a result or StepFailed details", () => {
    const steps = { a: { status: 'skipped' as const, reason: 'when was false' } }
    expect(workflowStepStates({ steps, segments: 1 })).toEqual(steps)
    expect(workflowStepStates({ stepId: 'a', steps })).toEqual(steps)
    expect(workflowStepStates(undefined)).toBeUndefined()
  })
})
