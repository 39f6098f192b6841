import { describe, expect, it } from 'vitest'
import { cronProblem } from './cron.ts'
import { parseDuration } from './duration.ts'
import { ancestors, checkGraph } from './graph.ts'
import { resolveParams } from './params.ts'

describe('checkGraph', () => {
  it('accepts a diamond and computes ancestors', () => {
    const nodes = [
      { id: 'a' },
      { id: 'b', depends_on: ['a'] },
      { id: 'c', depends_on: ['a'] },
      { id: 'd', depends_on: ['b', 'c'] },
    ]
    expect(checkGraph(nodes)).toEqual([])
    expect([...(ancestors(nodes).get('d') ?? [])].sort()).toEqual(['a', 'b', 'c'])
  })

  it('reports each cycle once, in dependency order, from its first step', () => {
    const problems = checkGraph([
      { id: 'x', depends_on: ['z'] },
      { id: 'y', depends_on: ['x'] },
      { id: 'z', depends_on: ['y'] },
      { id: 'p', depends_on: ['q'] },
      { id: 'q', depends_on: ['p', 'x'] },
    ])
    expect(problems.map((p) => p.message)).toEqual([
      'dependency cycle: x -> z -> y -> x',
      'dependency cycle: p -> q -> p',
    ])
  })
})

describe('durations, params, cron', () => {
  it('parses durations', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('1y')).toBeUndefined()
  })

  it('resolves parameters and reports every problem', () => {
    const spec = {
      params: {
        day: { type: 'date' as const },
        n: { type: 'integer' as const, default: 1 },
        on: { type: 'boolean' as const, default: true },
      },
    }
    expect(resolveParams(spec, { day: '2026-02-01' })).toEqual({
      values: { day: '2026-02-01', n: 1, on: true },
      problems: [],
    })
    expect(resolveParams(spec, { n: 1.5, extra: 1, day: '2026-02-30' }).problems.map((p) => p.message)).toEqual([
      "unknown parameter 'extra'",
      "parameter 'day': expected a date YYYY-MM-DD",
      "parameter 'n': expected an integer",
    ])
    expect(resolveParams(spec).problems.map((p) => p.message)).toEqual(["missing required parameter 'day' (date)"])
  })

  it('accepts five-field cron and nicknames only', () => {
    expect(cronProblem('*/15 9-17 * * 1-5')).toBeUndefined()
    expect(cronProblem('@daily')).toBeUndefined()
    expect(cronProblem('0 0 5 * * *')).toContain('6 field(s)')
    expect(cronProblem('0 25 * * *')).toContain('invalid')
  })
})
