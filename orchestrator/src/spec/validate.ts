import { LineCounter, parseDocument } from 'yaml'
import type { z } from 'zod'
import { cronProblem, isTimeZone } from './cron.ts'
import { parseExpression, references } from './expression.ts'
import { ancestors, checkGraph, type GraphNode } from './graph.ts'
import { paramTypeProblem } from './params.ts'
import { SourcePositions, type SpecPath } from './positions.ts'
import { type PipelineSpec, pipelineSchema } from './schema.ts'
import { type StepTypeRegistry, stepTypeRegistry } from './step-types.ts'
import { placeholders } from './template.ts'

export type ProblemCode =
  | 'yaml_syntax'
  | 'schema'
  | 'missing_required'
  | 'unknown_key'
  | 'unknown_step_type'
  | 'duplicate_step_id'
  | 'unknown_dependency'
  | 'cycle'
  | 'bad_expression'
  | 'unknown_reference'
  | 'bad_cron'
  | 'bad_timezone'
  | 'bad_default'
  | 'unknown_connection'
  | 'unknown_notebook'
  | 'unknown_catalog_source'
  | 'unknown_mcp_server'
  | 'destination_not_allowed'

/** One problem of a pipeline document, with its 1-based YAML line and column. */
export interface SpecProblem {
  code: ProblemCode
  message: string
  path: SpecPath
  line: number
  column: number
}

export type ValidationResult = { ok: true; spec: PipelineSpec; problems: [] } | { ok: false; problems: SpecProblem[] }

export interface ValidateOptions {
  /** Step types accepted; the built-in ones by default. */
  registry?: StepTypeRegistry
  /**
   * When given, steps naming a connection, notebook, catalog source or MCP server outside these sets are problems
   * (checked at save time).
   */
  known?: {
    connections?: Iterable<string>
    notebooks?: Iterable<string>
    catalogSources?: Iterable<string>
    mcpServers?: Iterable<string>
  }
  /**
   * The host's outbound policy for URLs written literally in `http` steps (`with.url`): a message when
   * the URL may not be requested. Templated URLs are checked when the step runs.
   */
  destinationProblem?: (url: string) => string | undefined
}

type Raw = Record<string, unknown>
const isObject = (value: unknown): value is Raw => value !== null && typeof value === 'object' && !Array.isArray(value)

class Problems {
  readonly list: SpecProblem[] = []
  constructor(readonly positions: SourcePositions) {}

  add(code: ProblemCode, message: string, path: SpecPath, options: { key?: boolean; offset?: number } = {}): void {
    this.list.push({ code, message, path, ...this.positions.of(path, options) })
  }

  addZodIssues(issues: readonly z.core.$ZodIssue[], prefix: SpecPath, value: unknown): void {
    for (const issue of issues) {
      const path = [...prefix, ...(issue.path as (string | number)[])]
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) this.add('unknown_key', `unknown key '${key}'`, [...path, key], { key: true })
      } else if (issue.code === 'invalid_type' && valueAt(value, issue.path as SpecPath) === undefined) {
        this.add('missing_required', `missing required key '${String(path.at(-1))}'`, path)
      } else {
        this.add('schema', `${path.join('.') || 'document'}: ${issue.message}`, path)
      }
    }
  }
}

function valueAt(value: unknown, path: SpecPath): unknown {
  let current = value
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string | number, unknown>)[key]
  }
  return current
}

/**
 * Parses and validates a pipeline document. Returns every problem at once (YAML syntax, schema, step
 * types, graph, expressions, schedule), each with its line and column; never throws.
 *
 * @example
 * const result = validatePipeline(yamlText)
 * if (!result.ok) for (const p of result.problems) console.log(`${p.line}:${p.column} ${p.message}`)
 */
export function validatePipeline(source: string, options: ValidateOptions = {}): ValidationResult {
  const lineCounter = new LineCounter()
  const document = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const problems = new Problems(new SourcePositions(document, lineCounter))
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const position = problems.positions.at(error.pos[0])
      problems.list.push({
        code: 'yaml_syntax',
        message: error.message.split('\n')[0] as string,
        path: [],
        ...position,
      })
    }
    return { ok: false, problems: problems.list }
  }
  let raw: unknown
  try {
    raw = document.toJS({ maxAliasCount: 1000 })
  } catch (err) {
    problems.add('yaml_syntax', err instanceof Error ? err.message : String(err), [])
    return { ok: false, problems: problems.list }
  }
  if (raw === null || raw === undefined) {
    problems.add('schema', 'the document is empty', [])
    return { ok: false, problems: problems.list }
  }

  const parsed = pipelineSchema.safeParse(raw)
  if (!parsed.success) problems.addZodIssues(parsed.error.issues, [], raw)
  if (isObject(raw)) checkSemantics(raw, problems, options)

  if (problems.list.length > 0) {
    const sorted = problems.list.sort((a, b) => a.line - b.line || a.column - b.column)
    return { ok: false, problems: sorted }
  }
  return { ok: true, spec: parsed.data as PipelineSpec, problems: [] }
}

/** Checks beyond the envelope schema, on whatever parts of the document are well-formed enough. */
function checkSemantics(raw: Raw, problems: Problems, options: ValidateOptions): void {
  const registry = options.registry ?? stepTypeRegistry()
  const steps = Array.isArray(raw.steps) ? raw.steps : []
  const params = isObject(raw.params) ? raw.params : {}

  for (const [name, definition] of Object.entries(params)) {
    if (!isObject(definition) || definition.default === undefined || typeof definition.type !== 'string') continue
    const problem = paramTypeProblem(definition.type as never, definition.default)
    if (problem) problems.add('bad_default', `default of '${name}': ${problem}`, ['params', name, 'default'])
  }

  if (isObject(raw.schedule)) checkSchedule(raw.schedule, problems)

  const known = {
    connection: options.known?.connections ? new Set(options.known.connections) : undefined,
    notebook: options.known?.notebooks ? new Set(options.known.notebooks) : undefined,
    catalog_source: options.known?.catalogSources ? new Set(options.known.catalogSources) : undefined,
    mcp_server: options.known?.mcpServers ? new Set(options.known.mcpServers) : undefined,
  }
  steps.forEach((step, i) => {
    if (!isObject(step) || typeof step.type !== 'string') return
    const type = registry.get(step.type)
    if (!type) {
      const names = [...registry.keys()].join(', ')
      problems.add('unknown_step_type', `unknown step type '${step.type}' (known: ${names})`, ['steps', i, 'type'])
      return
    }
    const withBlock = step.with ?? {}
    if (!isObject(withBlock)) return
    const result = type.with.safeParse(withBlock)
    if (!result.success) problems.addZodIssues(result.error.issues, ['steps', i, 'with'], withBlock)
    if (step.type === 'http' && typeof withBlock.url === 'string' && !withBlock.url.includes('{{')) {
      const problem = options.destinationProblem?.(withBlock.url)
      const id = typeof step.id === 'string' ? step.id : String(i)
      if (problem)
        problems.add('destination_not_allowed', `step '${id}': with.url ${problem}`, ['steps', i, 'with', 'url'])
    }
    for (const reference of type.references?.(withBlock) ?? []) {
      const names = known[reference.kind]
      if (names && !names.has(reference.name)) {
        problems.add(
          `unknown_${reference.kind}`,
          `unknown ${reference.kind.replace('_', ' ').replace('mcp', 'MCP')} '${reference.name}'`,
          ['steps', i, 'with', ...reference.path],
        )
      }
    }
  })

  const nodes: (GraphNode & { index: number })[] = []
  steps.forEach((step, index) => {
    if (!isObject(step) || typeof step.id !== 'string') return
    const deps = Array.isArray(step.depends_on) ? step.depends_on.filter((d) => typeof d === 'string') : []
    nodes.push({ id: step.id, depends_on: deps, index })
  })
  for (const problem of checkGraph(nodes)) {
    const step = (nodes[problem.step] as { index: number }).index
    const path: SpecPath =
      problem.code === 'unknown_dependency' ? ['steps', step, 'depends_on', problem.dependency] : ['steps', step, 'id']
    problems.add(problem.code, problem.message, path)
  }
  checkExpressions(nodes, steps as unknown[], params, problems)
}

function checkSchedule(schedule: Raw, problems: Problems): void {
  const crons = typeof schedule.cron === 'string' ? [schedule.cron] : Array.isArray(schedule.cron) ? schedule.cron : []
  crons.forEach((cron, j) => {
    if (typeof cron !== 'string') return
    const problem = cronProblem(cron)
    if (problem)
      problems.add(
        'bad_cron',
        problem,
        typeof schedule.cron === 'string' ? ['schedule', 'cron'] : ['schedule', 'cron', j],
      )
  })
  if (typeof schedule.timezone === 'string' && !isTimeZone(schedule.timezone)) {
    problems.add('bad_timezone', `unknown time zone '${schedule.timezone}'`, ['schedule', 'timezone'])
  }
}

/** `when` conditions and `{{ }}` templates: syntax, and that they name declared params and upstream steps. */
function checkExpressions(nodes: (GraphNode & { index: number })[], steps: unknown[], params: Raw, problems: Problems) {
  const upstream = ancestors(nodes)
  const ids = new Set(nodes.map((node) => node.id))
  for (const node of nodes) {
    const step = steps[node.index] as Raw
    const visible = upstream.get(node.id) ?? new Set<string>()
    const checkText = (text: string, path: SpecPath, sources: ReturnType<typeof placeholders>) => {
      for (const found of sources) {
        if ('error' in found) {
          const message = `invalid expression in '${text}': ${found.error.message}`
          problems.add('bad_expression', message, path, { offset: found.offset + found.error.offset })
          continue
        }
        for (const ref of references(found.expression)) {
          const message = referenceProblem(ref.path, params, ids, visible, node.id)
          if (message) problems.add('unknown_reference', message, path, { offset: found.offset + ref.offset })
        }
      }
    }
    if (typeof step.when === 'string')
      checkText(step.when, ['steps', node.index, 'when'], [{ offset: 0, ...parseExpression(step.when) }])
    walkStrings(step.with, ['steps', node.index, 'with'], (text, path) => checkText(text, path, placeholders(text)))
  }
}

function referenceProblem(
  path: (string | number)[],
  params: Raw,
  ids: Set<string>,
  visible: Set<string>,
  self: string,
): string | undefined {
  const [root, name, field] = path
  if (root === 'params') {
    if (typeof name !== 'string') return 'expected params.<name>'
    return name in params ? undefined : `unknown parameter '${name}'`
  }
  if (root === 'steps') {
    if (typeof name !== 'string') return 'expected steps.<id>.output or steps.<id>.status'
    if (!ids.has(name)) return `unknown step '${name}'`
    if (name === self || !visible.has(name)) return `step '${name}' is not upstream of '${self}': add it to depends_on`
    if (field !== 'output' && field !== 'status') return `expected steps.${name}.output or steps.${name}.status`
    return undefined
  }
  return `unknown name '${String(root)}': expressions see params.* and steps.*`
}

function walkStrings(value: unknown, path: SpecPath, visit: (text: string, path: SpecPath) => void): void {
  if (typeof value === 'string') {
    if (value.includes('{{')) visit(value, path)
  } else if (Array.isArray(value))
    value.forEach((item, i) => {
      walkStrings(item, [...path, i], visit)
    })
  else if (isObject(value)) for (const [key, item] of Object.entries(value)) walkStrings(item, [...path, key], visit)
}
