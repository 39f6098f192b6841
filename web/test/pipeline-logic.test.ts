import { describe, expect, it } from 'vitest'
import { layoutSteps } from '../src/core/pipelines/dag-layout.ts'
import { formatTime } from '../src/core/pipelines/format.ts'
import { outlineOf, outlineOfYaml, starterYaml, withSchedule } from '../src/core/pipelines/spec-outline.ts'

const doc = `apiVersion: workbench/v1
# the team's comment
kind: Pipeline
metadata: { name: b }
params:
  day: { type: date, default: 2024-01-01 }
  n: { type: integer }
steps:
  - { id: load, type: sql, with: { sql: 'select 1' } }
  - { id: check, type: quality, depends_on: [load, nope] }
`

describe('pipeline spec outline', () => {
  it('reads steps, edges, typed parameters and the schedule from YAML', () => {
    const outline = outlineOfYaml(`${doc}schedule: { cron: ['0 6 * * *', '0 18 * * *'], timezone: Europe/Paris }\n`)
    expect(outline?.steps).toEqual([
      { id: 'load', type: 'sql', dependsOn: [] },
      { id: 'check', type: 'quality', dependsOn: ['load', 'nope'] },
    ])
    expect(outline?.params).toEqual([
      { name: 'day', type: 'date', default: '2024-01-01', description: undefined },
      { name: 'n', type: 'integer', default: undefined, description: undefined },
    ])
    expect(outline?.schedule).toMatchObject({ cron: '0 6 * * *; 0 18 * * *', timezone: 'Europe/Paris' })
    expect(outlineOfYaml('steps: [')).toBeUndefined()
    expect(outlineOf(null)).toEqual({ name: '', steps: [], params: [], schedule: undefined })
  })

  it('changes only the schedule block, keeping the rest of the document as written', () => {
    const scheduled = withSchedule(doc, { cron: '0 6 * * *', timezone: 'Europe/Paris', catchupWindow: '1h' })
    expect(scheduled.startsWith(doc)).toBe(true)
    expect(outlineOfYaml(scheduled)?.schedule).toEqual({
      cron: '0 6 * * *',
      timezone: 'Europe/Paris',
      overlap: undefined,
      catchupWindow: '1h',
    })
    const changed = withSchedule(scheduled, { cron: '0 7 * * *; 5 4 * * 1', overlap: 'skip' })
    expect(changed.startsWith(doc)).toBe(true)
    expect(outlineOfYaml(changed)?.schedule).toMatchObject({ cron: '0 7 * * *; 5 4 * * 1', overlap: 'skip' })
    expect(withSchedule(changed, undefined)).toBe(doc)
    const middle = `apiVersion: x\nschedule:\n  cron: '1 * * * *'\nsteps:\n  - a\n`
    expect(withSchedule(middle, undefined)).toBe('apiVersion: x\nsteps:\n  - a\n')
    expect(() => withSchedule('a: [', undefined)).toThrow(/does not parse/)
  })

  it('starts new pipelines from a document that parses, and lays steps out above their dependants', () => {
    const outline = outlineOfYaml(starterYaml('demo'))
    expect(outline?.name).toBe('demo')
    const layout = layoutSteps(outline?.steps ?? [])
    expect(layout.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['load>check'])
    const y = new Map(layout.nodes.map((n) => [n.id, n.y]))
    expect(y.get('load')).toBeLessThan(y.get('check') ?? 0)
    // An unknown dependency is a validation problem, not an edge to nowhere.
    expect(layoutSteps(outlineOfYaml(doc)?.steps ?? []).edges).toHaveLength(1)
  })
})

describe('times next to schedules', () => {
  it('names the zone, and shows a time in the schedule’s own zone', () => {
    const at = '2026-12-02T05:00:00.000Z'
    expect(formatTime(at, 'Europe/Paris')).toMatch(/6:00\s?AM GMT\+1|06:00 (CET|UTC\+1|GMT\+1)/)
    expect(formatTime(at, 'UTC')).toMatch(/UTC/)
    // An unknown zone still shows a time, with the reader's zone named.
    expect(formatTime(at, 'Mars/Olympus')).toMatch(/\d{1,2}:\d{2}/)
    expect(formatTime(null)).toBe('—')
  })
})
