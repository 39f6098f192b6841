import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { pipelineJsonSchema } from './schema.ts'
import { defineStepType, stepTypeRegistry } from './step-types.ts'
import { validatePipeline } from './validate.ts'

const valid = `apiVersion: workbench/v1
kind: Pipeline
metadata:
  name: daily-sales
params:
  day: { type: date, default: '2026-01-01' }
  env: { type: string, default: prod }
schedule:
  cron: '0 5 * * *'
  timezone: Europe/Paris
  overlap: skip
  catchup_window: 1h
concurrency: 2
steps:
  - id: load
    type: sql
    with:
      sql: create or replace table sales as select * from range(10) t(x)
  - id: count
    type: sql
    depends_on: [load]
    with: { sql: 'select count(*) as n from sales where day = $day', parameters: { day: '{{ params.day }}' } }
  - id: check
    type: quality
    depends_on: [load]
    retry: { attempts: 3, backoff: { initial: 1s, coefficient: 2, max: 1m } }
    timeout: 5m
    with:
      table: sales
      checks:
        - not_null: x
        - unique: [x]
        - accepted_values: { column: x, values: [0, 1, 2] }
        - row_count: { min: 1 }
        - sql: select * from sales where x < 0
  - id: notify
    type: http
    depends_on: [count, check]
    when: "params.env == 'prod' && steps.count.output.rows[0].n > 0"
    with: { url: 'https://example.test/hook', body: { day: '{{ params.day }}' } }
`

function problemsOf(source: string) {
  const result = validatePipeline(source)
  expect(result.ok).toBe(false)
  return result.ok ? [] : result.problems
}

describe('validatePipeline', () => {
  it('accepts a complete pipeline and returns the typed spec', () => {
    const result = validatePipeline(valid)
    expect(result.problems).toEqual([])
    expect(result.ok && result.spec.steps.map((s) => s.id)).toEqual(['load', 'count', 'check', 'notify'])
    expect(result.ok && result.spec.schedule?.timezone).toBe('Europe/Paris')
  })

  it('reports every problem at once, each with its line and column', () => {
    const source = `apiVersion: workbench/v1
kind: Pipeline
metadata:
  name: broken
params:
  day: { type: date }
  n: { type: integer, default: abc }
schedule:
  cron: '61 * * * *'
  timezone: Mars/Olympus
steps:
  - id: a
    type: sql
    depends_on: [c]
    with: { sql: select 1 }
  - id: b
    type: spark
    depends_on: [a, ghost]
  - id: c
    type: sql
    depends_on: [b]
    with: {}
  - id: d
    type: http
    when: "params.nope == 1 && steps.a.output"
    with: { url: 'https://x.test', methd: POST }
`
    const problems = problemsOf(source)
    const summary = problems.map((p) => `${p.line}:${p.column} ${p.code}`)
    expect(summary).toEqual([
      '7:32 bad_default',
      '9:9 bad_cron',
      '10:13 bad_timezone',
      '12:9 cycle',
      '17:11 unknown_step_type',
      '18:21 unknown_dependency',
      '22:11 missing_required',
      '25:12 unknown_reference',
      '25:32 unknown_reference',
      '26:36 unknown_key',
    ])
    const byCode = Object.fromEntries(problems.map((p) => [p.code, p.message]))
    expect(byCode.cycle).toBe('dependency cycle: a -> c -> b -> a')
    expect(byCode.unknown_step_type).toContain(
      "unknown step type 'spark' (known: sql, notebook, python, http, quality)",
    )
    expect(byCode.unknown_dependency).toBe("depends on unknown step 'ghost'")
    expect(byCode.missing_required).toBe("missing required key 'sql'")
    expect(byCode.unknown_key).toBe("unknown key 'methd'")
    expect(problems.find((p) => p.line === 25 && p.column === 32)?.message).toBe(
      "step 'a' is not upstream of 'd': add it to depends_on",
    )
  })

  it('reports YAML syntax errors with positions and stops there', () => {
    const problems = problemsOf('apiVersion: workbench/v1\nkind: [Pipeline\nsteps: 1\n')
    expect(problems.length).toBeGreaterThan(0)
    expect(problems.every((p) => p.code === 'yaml_syntax' && p.line >= 2)).toBe(true)
  })

  it('reports duplicate keys, duplicate step ids and self-dependencies', () => {
    const problems = problemsOf(`apiVersion: workbench/v1
kind: Pipeline
metadata: { name: x }
steps:
  - { id: a, type: sql, with: { sql: select 1 } }
  - { id: a, type: sql, depends_on: [a], with: { sql: select 1 } }
`)
    expect(problems.map((p) => p.code)).toEqual(['duplicate_step_id'])
    const cyclic = problemsOf(`apiVersion: workbench/v1
kind: Pipeline
metadata: { name: x }
steps:
  - { id: a, type: sql, depends_on: [a], with: { sql: select 1 } }
`)
    expect(cyclic.map((p) => [p.code, p.message])).toEqual([['cycle', 'dependency cycle: a -> a']])
    expect(problemsOf('kind: Pipeline\nkind: Pipeline\n')[0]?.code).toBe('yaml_syntax')
  })

  it('never throws on hostile or odd input', () => {
    for (const source of ['', '42', '[]', '- a\n- b', 'a: &x [*x]', '{{', 'steps: [1, null, {id: 3}]', '\t']) {
      const result = validatePipeline(source)
      expect(result.ok).toBe(false)
      if (!result.ok) for (const p of result.problems) expect(p.line).toBeGreaterThanOrEqual(1)
    }
  })

  it('points inside expressions at the faulty token', () => {
    const problems = problemsOf(`apiVersion: workbench/v1
kind: Pipeline
metadata: { name: x }
steps:
  - id: a
    type: sql
    when: params.x ==
    with: { sql: "select '{{ steps.zz.output }}'" }
`)
    expect(problems.map((p) => `${p.line}:${p.column} ${p.code} ${p.message}`)).toEqual([
      "7:22 bad_expression invalid expression in 'params.x ==': expected a value but found 'end of expression'",
      "8:30 unknown_reference unknown step 'zz'",
    ])
  })

  it('checks quality checks and durations', () => {
    const problems = problemsOf(`apiVersion: workbench/v1
kind: Pipeline
metadata: { name: x }
steps:
  - id: q
    type: quality
    timeout: 10 minutes
    with:
      table: "drop table x;"
      checks:
        - { not_null: a, unique: a }
        - freshness: { column: ts, max_age: 1y }
`)
    expect(problems.map((p) => `${p.line} ${p.code}`)).toEqual(['7 schema', '9 schema', '11 schema', '12 schema'])
    expect(problems[2]?.message).toContain('exactly one of')
  })

  it('checks connections and notebooks against what exists when asked to', () => {
    const source = `apiVersion: workbench/v1
kind: Pipeline
metadata: { name: x }
steps:
  - { id: a, type: sql, with: { sql: select 1, connection: warehouse } }
  - { id: b, type: notebook, with: { notebook: deleted-nb } }
`
    expect(validatePipeline(source).ok).toBe(true)
    const result = validatePipeline(source, { known: { connections: ['crm'], notebooks: [] } })
    expect(result.ok ? [] : result.problems.map((p) => `${p.line}:${p.column} ${p.message}`)).toEqual([
      "5:60 unknown connection 'warehouse'",
      "6:48 unknown notebook 'deleted-nb'",
    ])
  })

  it('accepts a new step type from just its schema', () => {
    const odoo = defineStepType({
      type: 'odoo',
      description: 'Reads Odoo records.',
      with: z.strictObject({ model: z.string() }),
    })
    const source = `apiVersion: workbench/v1
kind: Pipeline
metadata: { name: x }
steps:
  - { id: a, type: odoo, with: { model: res.partner } }
`
    expect(validatePipeline(source).ok).toBe(false)
    expect(validatePipeline(source, { registry: stepTypeRegistry([odoo]) }).ok).toBe(true)
    const schema = JSON.stringify(pipelineJsonSchema(stepTypeRegistry([odoo])))
    expect(schema).toContain('"odoo"')
  })
})

describe('pipelineJsonSchema', () => {
  it('describes the envelope and every built-in step type', () => {
    const schema = pipelineJsonSchema() as { properties: Record<string, any>; required: string[] }
    expect(schema.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'steps']))
    const variants = schema.properties.steps.items.oneOf ?? schema.properties.steps.items.anyOf
    expect(variants.map((v: any) => v.properties.type.const).sort()).toEqual([
      'http',
      'notebook',
      'python',
      'quality',
      'sql',
    ])
    const sql = variants.find((v: any) => v.properties.type.const === 'sql')
    expect(sql.properties.with.required).toEqual(['sql'])
  })
})
