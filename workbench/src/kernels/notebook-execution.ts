import { type Output, TABLE_MIME_TYPE, type TableData, tableOf } from '@workbench/kernels'
import type { Completion, Inspection } from '@workbench/kernels/jupyter'
import type { CellRequest } from '@workbench/kernels/session'
import type { Logger } from 'pino'
import type { CollabServer } from '../collab/collab-server.ts'
import type { DocumentRoom } from '../collab/document-room.ts'
import { AppError } from '../http/errors.ts'
import { planCell } from './cell-plan.ts'
import {
  type CellRunState,
  clearOutputs,
  type DocumentKernelStatus,
  findCell,
  readCell,
  runStates,
  setExecutionCount,
  setKernelStatus,
} from './notebook-document.ts'
import { CellOutputWriter } from './output-writer.ts'
import { maskErrorOutput, maskOutput, type PlanResultMasking } from './result-masks.ts'
import { connectionResultId, type SessionEntry, type SessionManager } from './session-manager.ts'

export interface NotebookExecutionOptions {
  sessions: SessionManager
  /** The live documents; undefined until the metadata DB is open. */
  collab: () => CollabServer | undefined
  logger: Logger
  /** Outputs arriving within this window are written to the document together. */
  throttleMs?: number
  /**
   * Called (fire-and-forget) after a SQL cell ran without error, e.g. to record its lineage in the catalog.
   * Its failures are logged; it never fails nor delays the cell.
   */
  onSqlExecuted?: (event: SqlCellExecuted) => void | Promise<void>
  /**
   * Which columns of a SQL cell's results to mask in the shared document (PII-tagged in the catalog). When it
   * fails, every column of the cell's results is masked: the shared document never carries tagged values.
   */
  planMasking?: PlanResultMasking
}

/** A SQL cell that ran successfully (see `onSqlExecuted`). */
export interface SqlCellExecuted {
  workspaceId: string
  notebookId: string
  cellId: string
  /** The SQL as run (the `%%sql` magic line blanked). */
  sql: string
  /** 'duckdb' (the workspace database) or a connection id. */
  connection: string
  /** Seq of the notebook's last stored update when the cell's source was read (the document state it ran). */
  documentSeq: string
  userId: string
}

/** What `GET .../execution` answers. */
export interface ExecutionStatus {
  sessionId: string | null
  kernel: DocumentKernelStatus
  /** Cells waiting to run, in order (the running cell is in the document's `execution` map as `running`). */
  queue: string[]
}

interface QueuedCell {
  cellId: string
  /** Cells queued by one run request: a failing cell stops the rest of its batch, as in Jupyter. */
  batch: number
  by: string
}

/** A notebook with cells queued or running: its session, its held document, and its queue. */
interface ActiveNotebook {
  workspaceId: string
  notebookId: string
  entry: SessionEntry
  room: DocumentRoom
  release: () => void
  queue: QueuedCell[]
  running: QueuedCell | undefined
  interrupted: boolean
}

/**
 * Server-side notebook execution: reads each queued cell's source from the live document,
 * runs it in the notebook's session, and writes its outputs, execution count and run state INTO the shared
 * document through the collaboration room, so every collaborator sees them as they come, they are stored
 * like any edit, and they survive closed browsers. One queue per notebook; the document stays loaded and
 * the session is never culled while cells are queued or running.
 */
export class NotebookExecution {
  readonly #options: NotebookExecutionOptions
  readonly #active = new Map<string, ActiveNotebook>()
  /** Run requests of a notebook are admitted one at a time, in call order. */
  readonly #admission = new Map<string, Promise<unknown>>()
  /** The last `onSqlExecuted` of each notebook: masking waits (briefly) for the lineage of earlier cells. */
  readonly #lineage = new Map<string, Promise<unknown>>()
  #batches = 0

  constructor(options: NotebookExecutionOptions) {
    this.#options = options
  }

  async status(workspaceId: string, notebookId: string): Promise<ExecutionStatus> {
    const entry = this.#options.sessions.findForNotebook(workspaceId, notebookId)
    if (!entry) return { sessionId: null, kernel: 'none', queue: [] }
    const active = this.#active.get(key(workspaceId, notebookId))
    return {
      sessionId: entry.id,
      kernel: active?.running ? 'busy' : await kernelStatus(entry),
      queue: active?.queue.map((q) => q.cellId) ?? [],
    }
  }

  /** Queues the code cells among `cellIds` (in the given order; unknown, markdown and already queued ones are left out). */
  run(workspaceId: string, notebookId: string, cellIds: string[], userId: string): Promise<string[]> {
    const k = key(workspaceId, notebookId)
    const admitted = (this.#admission.get(k) ?? Promise.resolve()).then(() =>
      this.#admit(workspaceId, notebookId, cellIds, userId),
    )
    const settled: Promise<unknown> = admitted
      .catch(() => {})
      .then(() => {
        // The last admission of a notebook cleans up after itself: no entry per notebook ever run.
        if (this.#admission.get(k) === settled) this.#admission.delete(k)
      })
    this.#admission.set(k, settled)
    return admitted
  }

  /** Python completions from the notebook's running kernel; the workbench's own `__wb_` helpers never show. */
  async complete(workspaceId: string, notebookId: string, code: string, cursor: number): Promise<Completion> {
    const entry = this.#options.sessions.findForNotebook(workspaceId, notebookId)
    if (!entry) return { matches: [], cursorStart: cursor, cursorEnd: cursor }
    const reply = await entry.session.complete(code, cursor)
    const keep = reply.matches.map((m) => !/^__(wb|workbench)_/.test(m.split('.').pop() ?? m))
    return {
      ...reply,
      matches: reply.matches.filter((_, i) => keep[i]),
      ...(reply.types ? { types: reply.types.filter((_, i) => keep[i]) } : {}),
    }
  }

  /** The documentation of the name at the cursor (Shift-Tab), from the notebook's running Python kernel. */
  async inspect(
    workspaceId: string,
    notebookId: string,
    code: string,
    cursor: number,
    detailLevel: 0 | 1,
  ): Promise<Inspection> {
    const entry = this.#options.sessions.findForNotebook(workspaceId, notebookId)
    return entry ? entry.session.inspect(code, cursor, detailLevel) : { found: false }
  }

  /** Interrupts the running cell; the rest of its run is not run. */
  async interrupt(workspaceId: string, notebookId: string): Promise<void> {
    const active = this.#active.get(key(workspaceId, notebookId))
    const entry = active?.entry ?? this.#options.sessions.findForNotebook(workspaceId, notebookId)
    if (active?.running) active.interrupted = true
    await entry?.session.interrupt()
  }

  /** Drops every queued cell and restarts the notebook's kernels (their state is lost). */
  async restart(workspaceId: string, notebookId: string): Promise<void> {
    const active = this.#active.get(key(workspaceId, notebookId))
    if (active) {
      const dropped = active.queue.splice(0)
      if (active.running) active.interrupted = true
      await active.room.change((doc) => {
        for (const q of dropped) runStates(doc).delete(q.cellId)
      })
    }
    const entry = active?.entry ?? this.#options.sessions.findForNotebook(workspaceId, notebookId)
    if (!entry) return
    entry.resultMasks.clear()
    const collab = this.#options.collab()
    const held = active ? undefined : await collab?.hold(notebookId)
    try {
      const room = active?.room ?? held?.room
      await room?.change((doc) => setKernelStatus(doc, 'starting'))
      await entry.session.restart()
      if (!this.#active.get(key(workspaceId, notebookId))?.running)
        await room?.change((doc) => setKernelStatus(doc, 'idle'))
    } finally {
      held?.release()
    }
  }

  async #admit(workspaceId: string, notebookId: string, cellIds: string[], userId: string): Promise<string[]> {
    const collab = this.#options.collab()
    if (!collab) throw new AppError(503, 'collab_unavailable', 'Collaboration is still starting')
    const k = key(workspaceId, notebookId)
    let active = this.#active.get(k)
    let fresh = false
    if (!active) {
      const { entry } = this.#options.sessions.forNotebook(workspaceId, notebookId)
      const unpin = this.#options.sessions.pin(entry.id)
      const { room, release } = await collab.hold(notebookId).catch((err: unknown) => {
        unpin()
        throw err
      })
      active = {
        workspaceId,
        notebookId,
        entry,
        room,
        release: () => {
          release()
          unpin()
        },
        queue: [],
        running: undefined,
        interrupted: false,
      }
      this.#active.set(k, active)
      fresh = true
    }
    const batch = ++this.#batches
    const queuedAt = Date.now()
    const waiting = new Set([...active.queue.map((q) => q.cellId)])
    const queued: QueuedCell[] = []
    const current = active
    await current.room.change((doc) => {
      for (const cellId of cellIds) {
        if (waiting.has(cellId)) continue
        const cell = readCell(doc, cellId)
        if (!cell || planCell(cell.cellType, cell.source, cell.metadata).kind === 'skip') continue
        waiting.add(cellId)
        queued.push({ cellId, batch, by: userId })
        runStates(doc).set(cellId, { state: 'queued', queuedAt, by: userId })
      }
      if (queued.length > 0 && !current.running) setKernelStatus(doc, 'busy')
    })
    current.queue.push(...queued)
    if (fresh) void this.#drain(k, current)
    return queued.map((q) => q.cellId)
  }

  async #drain(k: string, active: ActiveNotebook): Promise<void> {
    try {
      for (;;) {
        for (let next = active.queue.shift(); next; next = active.queue.shift()) {
          active.running = next
          active.interrupted = false
          const cell = next
          const ok = await this.#runCell(active, cell).catch((err: unknown) => {
            this.#options.logger.error({ err, cellId: cell.cellId }, 'notebook cell execution failed')
            return false
          })
          active.running = undefined
          if (!ok) await this.#skipRestOf(active, cell.batch)
        }
        const status = await kernelStatus(active.entry)
        await active.room.change((doc) => setKernelStatus(doc, status === 'dead' ? 'dead' : 'idle'))
        // Checked and left synchronously: a run admitted from now on starts a new drain.
        if (active.queue.length === 0) break
      }
    } catch (err) {
      this.#options.logger.error({ err }, 'notebook execution stopped')
      const dropped = active.queue.splice(0)
      await active.room
        .change((doc) => {
          for (const q of dropped) runStates(doc).delete(q.cellId)
        })
        .catch(() => {})
    } finally {
      this.#active.delete(k)
      active.release()
    }
  }

  /** Runs one cell; false when it failed or was interrupted (the rest of its run is then skipped). */
  async #runCell(active: ActiveNotebook, queued: QueuedCell): Promise<boolean> {
    const { room, entry } = active
    const { cellId } = queued
    const cell = readCell(room.doc, cellId)
    const documentSeq = room.lastSeq
    const plan = cell ? planCell(cell.cellType, cell.source, cell.metadata) : { kind: 'skip' as const }
    if (plan.kind === 'skip') {
      // Deleted (or turned into markdown) while queued: nothing to run, nothing to show.
      await room.change((doc) => runStates(doc).delete(cellId))
      return true
    }
    const previous = runStates(room.doc).get(cellId)
    const startedAt = Date.now()
    const base: CellRunState = { state: 'running', queuedAt: previous?.queuedAt ?? startedAt, startedAt, by: queued.by }
    await room.change((doc) => {
      const y = findCell(doc, cellId)
      if (y) {
        clearOutputs(y)
        setExecutionCount(y, null)
      }
      runStates(doc).set(cellId, base)
      setKernelStatus(doc, 'busy')
    })
    await this.#startKernelOf(
      active,
      plan.kind === 'python' ? 'python' : plan.connection === 'duckdb' ? 'sql' : undefined,
    )
    const request: CellRequest =
      plan.kind === 'python'
        ? { language: 'python', code: plan.code }
        : {
            language: 'sql',
            code: plan.code,
            bindTo: plan.output,
            sqlKernel:
              plan.connection === 'duckdb'
                ? undefined
                : () => this.#options.sessions.connectionKernel(entry, plan.connection),
          }
    // Planned while the query runs; only awaited when a result arrives.
    const masking = plan.kind === 'sql' ? this.#planMasking(active, plan.connection, plan.code) : undefined
    const run = entry.session.execute(request)
    const writer = new CellOutputWriter(room, cellId, this.#options.throttleMs ?? 50)
    let failed = false
    for await (const output of run.outputs) {
      if (output.output_type === 'error') failed = true
      const routed = plan.kind === 'sql' && plan.connection !== 'duckdb' ? routeResult(output, plan.connection) : output
      const maskPlan = masking && (tableOf(routed) || routed.output_type === 'error') ? await masking : undefined
      if (!maskPlan) {
        writer.push(routed)
        continue
      }
      if (routed.output_type === 'error') {
        writer.push(maskPlan.mentionsTagged ? maskErrorOutput(routed) : routed)
        continue
      }
      const masked = maskOutput(routed, maskPlan.tagsFor)
      const resultId = tableOf(masked.output)?.resultId
      if (masked.columns && resultId) entry.resultMasks.set(resultId, masked.columns)
      writer.push(masked.output)
    }
    await writer.flush()
    const finishedAt = Date.now()
    const state: CellRunState['state'] = !failed ? 'ok' : active.interrupted ? 'interrupted' : 'error'
    await room.change((doc) => {
      const y = findCell(doc, cellId)
      if (y) setExecutionCount(y, run.executionCount)
      if (y) runStates(doc).set(cellId, { ...base, state, finishedAt, durationMs: finishedAt - startedAt })
      else runStates(doc).delete(cellId)
    })
    if (!failed && plan.kind === 'sql')
      this.#sqlExecuted({
        workspaceId: active.workspaceId,
        notebookId: active.notebookId,
        cellId,
        sql: plan.code,
        connection: plan.connection,
        documentSeq,
        userId: queued.by,
      })
    return !failed
  }

  /** The masking of a SQL cell's results; a planning failure masks every column (never leak on error). */
  #planMasking(active: ActiveNotebook, connection: string, sql: string): Promise<CellMasking | undefined> | undefined {
    const planner = this.#options.planMasking
    if (!planner) return undefined
    // A table created by the previous cell is masked through its recorded lineage: give the recording a moment.
    const previous = this.#lineage.get(key(active.workspaceId, active.notebookId))
    const settled = previous
      ? Promise.race([previous, new Promise((resolve) => setTimeout(resolve, LINEAGE_WAIT_MS).unref())])
      : Promise.resolve()
    return settled
      .then(() => planner({ workspaceId: active.workspaceId, connection, sql }))
      .then((p): CellMasking | undefined =>
        p ? { tagsFor: (columns) => p.tagsFor(columns), mentionsTagged: p.mentionsTagged === true } : undefined,
      )
      .catch((err: unknown): CellMasking => {
        this.#options.logger.warn({ err, notebookId: active.notebookId }, 'result masking failed: masking everything')
        return { tagsFor: (columns) => columns.map(() => ['sensitive']), mentionsTagged: true }
      })
  }

  /** Hands a successful SQL cell to `onSqlExecuted` without waiting for it: the next cell runs at once. */
  #sqlExecuted(event: SqlCellExecuted): void {
    const listener = this.#options.onSqlExecuted
    if (!listener) return
    const k = key(event.workspaceId, event.notebookId)
    const done: Promise<unknown> = Promise.resolve()
      .then(() => listener(event))
      .catch((err: unknown) =>
        this.#options.logger.warn({ err, notebookId: event.notebookId, cellId: event.cellId }, 'onSqlExecuted failed'),
      )
      .finally(() => {
        if (this.#lineage.get(k) === done) this.#lineage.delete(k)
      })
    this.#lineage.set(k, done)
  }

  /** Shows `starting` while the kernel a cell needs starts (the first cell of each language can take seconds). */
  async #startKernelOf(active: ActiveNotebook, language: 'sql' | 'python' | undefined): Promise<void> {
    if (!language || (await active.entry.session.statuses())[language] !== undefined) return
    await active.room.change((doc) => setKernelStatus(doc, 'starting'))
    const { session } = active.entry
    // A failure to start is reported by the cell itself (an error output), so it is ignored here.
    await (language === 'python' ? session.pythonKernel() : session.sqlKernel()).catch(() => {})
    await active.room.change((doc) => setKernelStatus(doc, 'busy'))
  }

  /** A failed cell stops its run: the cells queued with it are not run (their run state is removed). */
  async #skipRestOf(active: ActiveNotebook, batch: number): Promise<void> {
    const skipped = active.queue.filter((q) => q.batch === batch)
    if (skipped.length === 0) return
    active.queue = active.queue.filter((q) => q.batch !== batch)
    await active.room.change((doc) => {
      for (const q of skipped) runStates(doc).delete(q.cellId)
    })
  }
}

/** The notebook's kernel status as one word: dead if any started kernel died. */
async function kernelStatus(entry: SessionEntry): Promise<DocumentKernelStatus> {
  const { sql, python } = await entry.session.statuses()
  if (sql === 'dead' || python === 'dead') return 'dead'
  if (sql === 'starting' || python === 'starting') return 'starting'
  if (sql === 'busy' || python === 'busy') return 'busy'
  return 'idle'
}

/** Result ids of connection kernels carry the connection, so the page route finds the kernel keeping them. */
function routeResult(output: Output, connectionId: string): Output {
  if (output.output_type !== 'execute_result' && output.output_type !== 'display_data') return output
  const table = tableOf(output)
  if (!table?.resultId) return output
  const routed: TableData = { ...table, resultId: connectionResultId(connectionId, table.resultId) }
  return { ...output, data: { ...output.data, [TABLE_MIME_TYPE]: routed } }
}

/** How a SQL cell's outputs are masked in the shared document. */
interface CellMasking {
  tagsFor: (columns: readonly string[]) => string[][]
  /** The cell reads tables with tagged columns: its error messages are masked too. */
  mentionsTagged: boolean
}

/** How long masking waits for the previous cell's lineage to be recorded (it never waits for a stuck hook longer). */
const LINEAGE_WAIT_MS = 2_000

function key(workspaceId: string, notebookId: string): string {
  return `${workspaceId}/${notebookId}`
}
