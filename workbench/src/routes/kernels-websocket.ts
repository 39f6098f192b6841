import { upgradeWebSocket } from '@hono/node-server'
import { type ClientMessage, KernelCloseCode, type ServerMessage } from '@workbench/kernels/protocol'
import { Hono } from 'hono'
import type { WSContext } from 'hono/ws'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import type { KernelPermissionCheck } from '../kernels/permissions.ts'
import type { SessionManager } from '../kernels/session-manager.ts'

/** Cells a single connection may have queued at once: a runaway client cannot grow the queue without bound. */
const MAX_QUEUED_PER_CONNECTION = 1_000

/**
 * `GET /kernels/sessions/:id/ws`: execute cells and stream their outputs as they come. The permission check
 * runs before the upgrade (a refused user gets HTTP 403/401); a session that does not exist, or is closed
 * while connected, ends the socket with a named {@link KernelCloseCode}.
 */
export function kernelWebSocketRoute(sessions: SessionManager, authorize: KernelPermissionCheck) {
  return new Hono<AppEnv>().get('/kernels/sessions/:sessionId/ws', async (c, next) => {
    const entry = sessions.find(c.req.param('sessionId'))
    let canExecute = false
    if (entry) {
      await authorize(c, entry.workspaceId, 'view')
      canExecute = await authorize(c, entry.workspaceId, 'execute').then(
        () => true,
        (err: unknown) => {
          if (err instanceof AppError && err.status === 403) return false
          throw err
        },
      )
    }
    const handler = upgradeWebSocket(() => {
      let queued = 0
      let unsubscribe: (() => void) | undefined
      const send = (ws: WSContext, message: ServerMessage) => {
        if (ws.readyState === 1) ws.send(JSON.stringify(message))
      }
      return {
        onOpen(_event, ws) {
          if (!entry) return ws.close(KernelCloseCode.sessionNotFound, 'No such kernel session')
          const onClose = () => ws.close(KernelCloseCode.sessionClosed, 'The kernel session was closed')
          entry.onClose.add(onClose)
          unsubscribe = () => entry.onClose.delete(onClose)
        },
        onClose() {
          unsubscribe?.()
        },
        onMessage(event, ws) {
          if (!entry) return
          const message = parse(event.data)
          if (!message)
            return send(ws, { type: 'error', code: 'bad_message', message: 'Expected a JSON kernel message' })
          if (!canExecute)
            return send(ws, { type: 'error', code: 'forbidden', message: 'You may view this notebook but not run it' })
          // Failures are reported on the socket: a rejected promise must never go unhandled (it would end the process).
          const failed = (code: string) => (err: unknown) =>
            send(ws, { type: 'error', code, message: err instanceof Error ? err.message : String(err) })
          if (message.type === 'interrupt') return void entry.session.interrupt().catch(failed('interrupt_failed'))
          if (message.type === 'restart')
            return void entry.session
              .restart()
              .then(() => send(ws, { type: 'restarted' }))
              .catch(failed('restart_failed'))
          if (queued >= MAX_QUEUED_PER_CONNECTION) {
            return send(ws, {
              type: 'error',
              code: 'queue_full',
              message: 'Too many queued cells',
              requestId: message.requestId,
            })
          }
          queued++
          const { requestId } = message
          const run = entry.session.execute({ code: message.code, language: message.language, bindTo: message.bindTo })
          const { executionCount } = run
          send(ws, { type: 'queued', requestId, executionCount })
          void (async () => {
            try {
              for await (const output of run.outputs) send(ws, { type: 'output', requestId, executionCount, output })
            } finally {
              queued--
              send(ws, { type: 'done', requestId, executionCount })
            }
          })()
        },
      }
    })
    return handler(c, next)
  })
}

function parse(data: unknown): ClientMessage | undefined {
  if (typeof data !== 'string') return undefined
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || !('type' in value)) return undefined
  const m = value as Record<string, unknown>
  if (m.type === 'interrupt' || m.type === 'restart') return { type: m.type }
  if (
    m.type === 'execute' &&
    typeof m.requestId === 'string' &&
    typeof m.code === 'string' &&
    (m.language === 'sql' || m.language === 'python') &&
    (m.bindTo === undefined || typeof m.bindTo === 'string')
  )
    return { type: 'execute', requestId: m.requestId, code: m.code, language: m.language, bindTo: m.bindTo }
  return undefined
}
