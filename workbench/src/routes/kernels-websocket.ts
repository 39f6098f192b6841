import { upgradeWebSocket } from '@hono/node-server'
import { type ClientMessage, KernelCloseCode, type ServerMessage } from '@workbench/kernels/protocol'
import { Hono } from 'hono'
import type { WSContext } from 'hono/ws'
import { authorize, can } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { socketGrant } from '../auth/live-sockets.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import type { KernelDeps } from '../kernels/kernel-deps.ts'
import type { SessionEntry } from '../kernels/session-manager.ts'

/** Cells a single connection may have queued at once: a runaway client cannot grow the queue without bound. */
const MAX_QUEUED_PER_CONNECTION = 1_000

/**
 * `GET /workspaces/:workspaceId/kernels/sessions/:sessionId/ws`: execute cells and stream their outputs as
 * they come. Only editors may connect; `authorize` and the session lookup run before the upgrade, so a
 * refusal is a plain HTTP answer (401, 403, 404). A session closed while connected ends the socket with
 * {@link KernelCloseCode.sessionClosed}.
 */
export function kernelWebSocketRoute(identity: Identity, deps: () => KernelDeps | undefined) {
  // Found before the upgrade, read once it happens.
  const found = new WeakMap<Request, SessionEntry>()
  return new Hono<AppEnv>().get(
    '/workspaces/:workspaceId/kernels/sessions/:sessionId/ws',
    authorize(identity, can.workspace('editor'), 'kernels.execute.stream'),
    async (c, next) => {
      const ready = deps()
      if (!ready) throw new AppError(503, 'kernels_unavailable', 'Execution is still starting')
      found.set(c.req.raw, ready.sessions.getOrThrow(c.req.param('workspaceId'), c.req.param('sessionId')))
      await next()
    },
    upgradeWebSocket((c) => {
      const entry = found.get(c.req.raw)
      const principal = c.get('principal')
      const workspaceId = c.req.param('workspaceId') as string
      let queued = 0
      let unsubscribe: (() => void) | undefined
      let unregister: (() => void) | undefined
      let revoked = false
      const send = (ws: WSContext, message: ServerMessage) => {
        if (ws.readyState === 1) ws.send(JSON.stringify(message))
      }
      return {
        onOpen(_event, ws) {
          if (!entry) return ws.close(KernelCloseCode.sessionNotFound, 'No such kernel session')
          // Executing needs an editor with a live credential: sign-out, revocation, disable, removal and a
          // downgrade to viewer close the socket (nothing it sends afterwards runs).
          const live = principal && socketGrant(principal, workspaceId, 'editor')
          if (!live) return ws.close(KernelCloseCode.unauthorized, 'No session to follow')
          unregister = identity.liveSockets.register(live, {
            close: (code, reason) => {
              revoked = true
              ws.close(code === KernelCloseCode.unauthorized ? code : KernelCloseCode.forbidden, reason)
            },
          })
          const onClose = () => ws.close(KernelCloseCode.sessionClosed, 'The kernel session was closed')
          entry.onClose.add(onClose)
          unsubscribe = () => entry.onClose.delete(onClose)
        },
        onClose() {
          unsubscribe?.()
          unregister?.()
        },
        onMessage(event, ws) {
          if (!entry || revoked) return
          const message = parse(event.data)
          if (!message)
            return send(ws, { type: 'error', code: 'bad_message', message: 'Expected a JSON kernel message' })
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
    }),
  )
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
