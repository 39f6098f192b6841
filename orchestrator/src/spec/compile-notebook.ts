// Notebook -> pipeline compiler. Pure: SQL is parsed by DuckDB's `json_serialize_sql` on the
// caller's side and handed in (`parsedSql`, or `compileNotebookWith` with a `parseSql` function).
// The conventions it follows are documented in docs/pipelines-from-notebooks.md.
import { Document, isMap, isSeq } from 'yaml'
import {
  type CellFacts,
  cellFacts,
  type NotebookCell,
  type NotebookModel,
  sourceOf,
  sqlToParse,
} from './notebook-cells.ts'
import {
  breakCycles,
  dependencies,
  externalReads,
  type Group,
  mergeAuto,
  nameGroups,
  orderGroups,
} from './notebook-graph.ts'
import { type NotebookParam, parseParameters } from './notebook-python.ts'
import type { SerializedSql } from './notebook-sql.ts'
import { PIPELINE_API_VERSION, type PipelineSpec, STEP_ID_PATTERN, type StepSpec } from './schema.ts'
import { validatePipeline } from './validate.ts'

export type { NotebookCell, NotebookModel } from './notebook-cells.ts'
export { sqlToParse } from './notebook-cells.ts'

/** Which notebook state the steps run: a saved version, or (before any version exists) an update seq. */
export type NotebookPin = { version: string } | { seq: string }

export interface CompileNotebookOptions {
  /** Pipeline name (made into a valid one: lowercase, digits, - and _). */
  name: string
  /** The notebook's own name, which the pipeline's description cites (defaults to `name`). */
  notebookName?: string
  /** The notebook id that `notebook` steps reference. */
  notebookId: string
  pin?: NotebookPin
  /** DuckDB's `json_serialize_sql` answer for each query of {@link sqlToParse}. */
  parsedSql?: ReadonlyMap<string, SerializedSql>
}

export type CompileProblemCode =
  | 'sql_parse'
  | 'sql_unrecognised'
  | 'sql_not_parsed'
  | 'read_before_write'
  | 'variable_across_steps'
  | 'cycle'
  | 'bad_parameter'
  | 'bad_step_tag'
  | 'no_steps'
  | 'invalid_spec'

/** Something the user should look at before saving the compiled pipeline. Never thrown. */
export interface CompileProblem {
  code: CompileProblemCode
  message: string
  /** The cell concerned (its nbformat id), when there is one. */
  cellId?: string
  cellIndex?: number
  step?: string
}

/** How a compiled step came about, for the review screen. */
export interface CompiledStep {
  id: string
  type: 'sql' | 'notebook'
  cells: string[]
  reads: string[]
  writes: string[]
}

export interface CompileResult {
  yaml: string
  spec: PipelineSpec
  problems: CompileProblem[]
  steps: CompiledStep[]
}

/**
 * Compiles an nbformat notebook into a pipeline spec and its YAML. Cells become steps (one per code cell,
 * or per `step:<id>` tag group); dependencies come from the tables and variables each cell reads and
 * writes; a `parameters` cell becomes typed pipeline params. Problems are returned, never thrown.
 *
 * @example
 * const parsedSql = new Map(await Promise.all(sqlToParse(nb).map(async (q) => [q, await serialize(q)] as const)))
 * const { yaml, problems } = compileNotebook(nb, { name: 'daily-sales', notebookId, parsedSql })
 */
export function compileNotebook(notebook: NotebookModel, options: CompileNotebookOptions): CompileResult {
  const problems: CompileProblem[] = []
  const cells = cellFacts(notebook, options.parsedSql ?? new Map())
  for (const cell of cells)
    for (const problem of cell.problems) problems.push({ ...problem, cellId: cell.ref, cellIndex: cell.index })

  const params: NotebookParam[] = []
  for (const cell of cells.filter((c) => c.parameters)) {
    const parsed = parseParameters(sourceOf(notebook.cells[cell.index] as NotebookCell))
    params.push(...parsed.params)
    for (const message of parsed.problems)
      problems.push({ code: 'bad_parameter', message, cellId: cell.ref, cellIndex: cell.index })
  }
  const paramNames = new Set(params.map((p) => p.name))

  const code = cells.filter((c) => (c.kind === 'sql' || c.kind === 'python') && !c.parameters)
  const tagged = code.some((c) => c.stepTag !== undefined)
  const groupOf = new Map<CellFacts, Group>()
  const groups: Group[] = []
  for (const cell of code) {
    if (cell.setup) continue
    const last = groups.at(-1)
    if (tagged && cell.stepTag === undefined && last) {
      last.cells.push(cell)
      groupOf.set(cell, last)
      continue
    }
    if (cell.stepTag !== undefined && !STEP_ID_PATTERN.test(cell.stepTag)) {
      problems.push({
        code: 'bad_step_tag',
        message: `tag 'step:${cell.stepTag}': a step id starts with a letter, then letters, digits, - or _`,
        cellId: cell.ref,
        cellIndex: cell.index,
      })
    }
    const existing = tagged ? groups.find((g) => g.id !== undefined && g.id === cell.stepTag) : undefined
    const group = existing ?? { id: cell.stepTag, cells: [], deps: new Set<Group>() }
    if (existing) {
      problems.push({
        code: 'bad_step_tag',
        message: `step '${cell.stepTag}' is tagged on cells that are not consecutive; they run as one step`,
        cellId: cell.ref,
        cellIndex: cell.index,
      })
    } else groups.push(group)
    group.cells.push(cell)
    groupOf.set(cell, group)
  }

  // Edges between cells, from the last writer of each name before the reader (notebook order).
  const edges = dependencies(code, paramNames, problems)
  if (!tagged) mergeAuto(groups, groupOf, edges)
  for (const edge of edges) {
    const from = groupOf.get(edge.writer)
    const to = groupOf.get(edge.reader)
    if (!from || !to || from === to) continue
    if (edge.variable && tagged) {
      problems.push({
        code: 'variable_across_steps',
        message: `cell reads '${edge.name}', a kernel variable set in step '${from.id}': variables do not cross steps (each step runs in a fresh kernel); write a table, or tag both cells as one step`,
        cellId: edge.reader.ref,
        cellIndex: edge.reader.index,
        step: to.id,
      })
    }
    to.deps.add(from)
  }
  orderGroups(groups)
  nameGroups(groups)
  breakCycles(groups, problems)

  const setupCells = code.filter((c) => c.setup)
  const steps: StepSpec[] = []
  const compiled: CompiledStep[] = []
  for (const group of groups) {
    const writes = new Set(group.cells.flatMap((c) => [...c.writes]))
    const reads = externalReads(group.cells, paramNames, setupCells)
    const only = group.cells[0]
    const id = group.id as string
    const depends_on = [...group.deps].map((g) => g.id as string)
    const deps = depends_on.length > 0 ? { depends_on } : {}
    if (group.cells.length === 1 && only?.sql && !only.sql.output) {
      steps.push({
        id,
        type: 'sql',
        ...deps,
        with: {
          sql: only.sql.sql.trim(),
          ...(only.sql.connection !== 'duckdb' ? { connection: only.sql.connection } : {}),
        },
      })
      compiled.push({ id, type: 'sql', cells: [only.ref], reads: [...reads], writes: [...writes] })
      continue
    }
    const first = group.cells[0]?.index ?? 0
    const used = new Set(group.cells.flatMap((c) => [...c.reads]))
    const prelude = setupCells.filter((c) => c.index < first && [...c.writes].some((name) => used.has(name)))
    const refs = [...prelude, ...group.cells].map((c) => c.ref)
    steps.push({
      id,
      type: 'notebook',
      ...deps,
      with: {
        notebook: options.notebookId,
        ...(options.pin && 'version' in options.pin ? { version: options.pin.version } : {}),
        ...(options.pin && 'seq' in options.pin ? { seq: options.pin.seq } : {}),
        cells: refs,
        ...(params.length > 0
          ? { parameters: Object.fromEntries(params.map((p) => [p.name, `{{ params.${p.name} }}`])) }
          : {}),
      },
    })
    compiled.push({ id, type: 'notebook', cells: refs, reads: [...reads], writes: [...writes] })
  }
  if (steps.length === 0)
    problems.push({ code: 'no_steps', message: 'the notebook has no code cells to run (a pipeline needs a step)' })

  const spec: PipelineSpec = {
    apiVersion: PIPELINE_API_VERSION,
    kind: 'Pipeline',
    metadata: {
      name: pipelineName(options.name),
      description: `Compiled from notebook ${options.notebookName ?? options.name}`,
      labels: {
        'workbench/notebook': options.notebookId,
        ...(options.pin
          ? { 'workbench/notebook-pin': 'version' in options.pin ? options.pin.version : `seq:${options.pin.seq}` }
          : {}),
      },
    },
    ...(params.length > 0 ? { params: Object.fromEntries(params.map((p) => [p.name, p.spec])) } : {}),
    steps,
  }
  const yaml = toYaml(spec, compiled, options)
  if (steps.length > 0) {
    const validation = validatePipeline(yaml)
    if (!validation.ok)
      for (const problem of validation.problems)
        problems.push({ code: 'invalid_spec', message: `line ${problem.line}:${problem.column}: ${problem.message}` })
  }
  return { yaml, spec, problems, steps: compiled }
}

/** {@link compileNotebook} with SQL parsed by `parseSql` (e.g. `SELECT json_serialize_sql($1)` on DuckDB). */
export async function compileNotebookWith(
  notebook: NotebookModel,
  options: Omit<CompileNotebookOptions, 'parsedSql'>,
  parseSql: (query: string) => Promise<SerializedSql>,
): Promise<CompileResult> {
  const parsedSql = new Map<string, SerializedSql>()
  for (const query of sqlToParse(notebook)) {
    try {
      parsedSql.set(query, await parseSql(query))
    } catch (err) {
      parsedSql.set(query, { error: true, error_message: err instanceof Error ? err.message : String(err) })
    }
  }
  return compileNotebook(notebook, { ...options, parsedSql })
}

function pipelineName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/\.ipynb$/, '')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 100)
    .replace(/[-_]+$/, '')
  return slug || 'notebook-pipeline'
}

function toYaml(spec: PipelineSpec, compiled: CompiledStep[], options: CompileNotebookOptions): string {
  const doc = new Document(spec, { keepSourceTokens: false })
  const pin = options.pin
    ? 'version' in options.pin
      ? `notebook version ${options.pin.version}`
      : `update seq ${options.pin.seq} (the notebook had no saved version yet)`
    : 'its current content (not pinned)'
  doc.commentBefore = [
    ` Compiled from notebook ${options.notebookId}, pinned to ${pin}.`,
    ' Review before saving: dependencies were inferred from the tables and variables each cell reads and writes.',
  ].join('\n')
  const steps = doc.get('steps', true)
  if (isSeq(steps)) {
    steps.items.forEach((item, i) => {
      const info = compiled[i]
      if (!info || !isMap(item)) return
      const list = (names: string[]) => (names.length > 0 ? names.join(', ') : '-')
      item.commentBefore = ` cells ${info.cells.join(', ')} | reads ${list(info.reads)} | writes ${list(info.writes)}`
      // Short lists on one line: `depends_on: [a, b]`, `cells: [c1, c2]`.
      for (const path of [['depends_on'], ['with', 'cells']]) {
        const node = item.getIn(path, true)
        if (isSeq(node)) node.flow = true
      }
    })
  }
  return doc.toString({ lineWidth: 0, blockQuote: 'literal', flowCollectionPadding: false })
}
