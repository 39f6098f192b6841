import { Document, isMap, isNode, isScalar, parse, parseDocument } from 'yaml'

/** The parts of a pipeline spec the pages show: steps and their edges, parameters, the schedule. */
export interface SpecOutline {
  name: string
  steps: { id: string; type: string; dependsOn: string[] }[]
  params: ParamOutline[]
  schedule?: ScheduleOutline
}

export const PARAM_TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'datetime'] as const
export type ParamType = (typeof PARAM_TYPES)[number]

export interface ParamOutline {
  name: string
  type: ParamType
  default?: string | number | boolean
  description?: string
}

/** Temporal's schedule overlap policies, in the spec's snake_case (orchestrator/src/spec/schema.ts). */
export const OVERLAP_POLICIES = [
  'skip',
  'buffer_one',
  'buffer_all',
  'cancel_other',
  'terminate_other',
  'allow_all',
] as const

export interface ScheduleOutline {
  cron: string
  timezone?: string
  overlap?: string
  catchupWindow?: string
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const isParamType = (v: unknown): v is ParamType => PARAM_TYPES.some((t) => t === v)

/**
 * What a spec object says, read leniently (a half-typed document still shows the steps it has): the
 * server's parsed spec, or the editor's YAML parsed here.
 */
export function outlineOf(spec: unknown): SpecOutline {
  const root = isRecord(spec) ? spec : {}
  const metadata = isRecord(root.metadata) ? root.metadata : {}
  const steps = (Array.isArray(root.steps) ? root.steps : []).filter(isRecord).flatMap((s) => {
    const id = str(s.id)
    if (!id) return []
    const dependsOn = Array.isArray(s.depends_on) ? s.depends_on.filter((d): d is string => typeof d === 'string') : []
    return [{ id, type: str(s.type) ?? '?', dependsOn }]
  })
  const params = Object.entries(isRecord(root.params) ? root.params : {}).flatMap(([name, p]) => {
    if (!isRecord(p) || !isParamType(p.type)) return []
    const d = p.default
    const value = typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean' ? d : undefined
    // YAML reads an unquoted date as a string here (the core schema has no timestamp type).
    return [{ name, type: p.type, default: value, description: str(p.description) }]
  })
  const s = isRecord(root.schedule) ? root.schedule : undefined
  const cron = s ? (Array.isArray(s.cron) ? s.cron.filter((c) => typeof c === 'string').join('; ') : str(s.cron)) : ''
  return {
    name: str(metadata.name) ?? '',
    steps,
    params,
    schedule:
      s && cron
        ? { cron, timezone: str(s.timezone), overlap: str(s.overlap), catchupWindow: str(s.catchup_window) }
        : undefined,
  }
}

/** The outline of YAML text, or undefined while it does not parse. */
export function outlineOfYaml(text: string): SpecOutline | undefined {
  try {
    return outlineOf(parse(text))
  } catch {
    return undefined
  }
}

/**
 * `text` with its `schedule` block replaced by `schedule` (removed when undefined). Only that block's
 * text changes: the rest of the document (comments, order, quoting, flow style) stays as written.
 * Throws when `text` does not parse.
 */
export function withSchedule(text: string, schedule: ScheduleOutline | undefined): string {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) throw new Error(`The YAML does not parse: ${doc.errors[0]?.message ?? ''}`)
  const block = schedule ? new Document({ schedule: scheduleBlock(schedule) }).toString() : ''
  const root = doc.contents
  if (!isMap(root) || root.flow) {
    // A one-line document: no block to splice into, so it is written out again.
    if (schedule) doc.setIn(['schedule'], doc.createNode(scheduleBlock(schedule)))
    else doc.deleteIn(['schedule'])
    return doc.toString()
  }
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === 'schedule')
  const keyStart = isScalar(pair?.key) ? pair.key.range?.[0] : undefined
  const valueEnd = pair && isNode(pair.value) ? pair.value.range?.[2] : undefined
  if (keyStart === undefined || valueEnd === undefined) {
    if (!schedule) return text
    return `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${block}`
  }
  // The block ends at its last line's newline, or where the next key starts: keep the text after it intact.
  let end = valueEnd
  while (end < text.length && text[end] !== '\n' && /\s/.test(text[end] ?? '')) end++
  if (text[end] === '\n') end++
  return text.slice(0, keyStart) + block + text.slice(end)
}

function scheduleBlock(schedule: ScheduleOutline): Record<string, unknown> {
  const crons = schedule.cron
    .split(';')
    .map((c) => c.trim())
    .filter(Boolean)
  const block: Record<string, unknown> = { cron: crons.length === 1 ? crons[0] : crons }
  if (schedule.timezone) block.timezone = schedule.timezone
  if (schedule.overlap) block.overlap = schedule.overlap
  if (schedule.catchupWindow) block.catchup_window = schedule.catchupWindow
  return block
}

/** A minimal valid pipeline for "New pipeline". */
export function starterYaml(name: string): string {
  return `apiVersion: workbench/v1
kind: Pipeline
metadata:
  name: ${name}
params:
  day: { type: date, default: 2024-01-01 }
steps:
  - id: load
    type: sql
    with:
      sql: create or replace table starter as select 1 as id
  - id: check
    type: quality
    depends_on: [load]
    with:
      table: starter
      checks:
        - row_count: { min: 1 }
`
}
