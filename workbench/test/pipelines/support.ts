import type { ActivityDeps, StepHandler } from '@workbench/orchestrator/activities'
import { BUILTIN_STEP_TYPES, defineStepType, stepTypeRegistry } from '@workbench/orchestrator/spec'
import { z } from 'zod'

export const header = (name: string) => `apiVersion: workbench/v1\nkind: Pipeline\nmetadata: { name: ${name} }\n`

/**
 * Step types for tests: `count` applies a write keyed by the step's idempotency key (applied at most
 * once per key; `hold` makes the first attempt hang after writing), `gate` waits until the test opens
 * it, `flaky` fails while its name is in `failing`.
 */
export function testSteps() {
  /** idempotency key -> times the keyed write was applied (the side effect a test counts). */
  const applied = new Map<string, number>()
  /** idempotency key -> times the step body ran (attempts that reached it). */
  const executions = new Map<string, number>()
  const gates = new Map<string, { open: () => void; opened: Promise<void> }>()
  const failing = new Set<string>()
  const gate = (name: string) => {
    let entry = gates.get(name)
    if (!entry) {
      let open = () => {}
      const opened = new Promise<void>((resolve) => {
        open = resolve
      })
      entry = { open, opened }
      gates.set(name, entry)
    }
    return entry
  }
  const until = (promise: Promise<void>, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) reject(signal.reason)
      signal.addEventListener('abort', () => reject(signal.reason ?? new Error('aborted')), { once: true })
      promise.then(resolve)
    })
  const handlers: Record<string, StepHandler> = {
    count: async (w, ctx) => {
      executions.set(ctx.idempotencyKey, (executions.get(ctx.idempotencyKey) ?? 0) + 1)
      if (!applied.has(ctx.idempotencyKey)) applied.set(ctx.idempotencyKey, 1)
      ctx.log(`wrote value ${String(w.value)}`)
      if (w.hold === true && ctx.attempt === 1) await until(new Promise(() => {}), ctx.signal)
      return { value: w.value }
    },
    gate: async (w, ctx) => {
      ctx.log(`waiting at gate ${String(w.name)}`)
      await until(gate(String(w.name)).opened, ctx.signal)
      return { passed: w.name }
    },
    flaky: async (w) => {
      if (failing.has(String(w.name))) throw new Error(`flaky step ${String(w.name)} failed`)
      return { got: w.input ?? null }
    },
  }
  const registry = stepTypeRegistry([
    ...BUILTIN_STEP_TYPES,
    defineStepType({
      type: 'count',
      description: 'test: idempotent-keyed write',
      with: z.object({ value: z.unknown(), hold: z.boolean().optional() }),
    }),
    defineStepType({ type: 'gate', description: 'test: waits for the test', with: z.object({ name: z.string() }) }),
    defineStepType({
      type: 'flaky',
      description: 'test: fails on demand',
      with: z.object({ name: z.string(), input: z.unknown().optional() }),
    }),
  ])
  const deps: Partial<ActivityDeps> = { handlers, registry }
  return { applied, executions, failing, open: (name: string) => gate(name).open(), registry, deps }
}

/**
 * Calls the workspace-scoped API of `app` as the bearer of `token`: a string body is sent as is, anything else
 * as JSON; the answer's JSON (or null) comes back with its status.
 */
export function workspaceCaller(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  ws: string,
  token: string,
) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await app.request(`/api/workspaces/${ws}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }
}

/** A parameterised notebook: `factor` (its parameters cell), a SQL cell counting `orders`, and a print of count × factor. */
export const ORDERS_REPORT_NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
  cells: [
    {
      id: 'p',
      cell_type: 'code',
      source: 'factor = 1',
      metadata: { tags: ['parameters'] },
      outputs: [],
      execution_count: null,
    },
    {
      id: 'q',
      cell_type: 'code',
      source: '%%sql counts <<\nSELECT count(*) AS n FROM orders',
      metadata: { workbench: { type: 'sql', connection: 'duckdb', output: 'counts' } },
      outputs: [],
      execution_count: null,
    },
    {
      id: 'r',
      cell_type: 'code',
      source: "print('total', int(counts.n[0]) * factor)",
      metadata: {},
      outputs: [],
      execution_count: null,
    },
  ],
}
