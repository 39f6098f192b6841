import { upgradeWebSocket } from '@hono/node-server'
import { Hono } from 'hono'
import { authorize, can } from '../auth/authorize.ts'
import { AccessCloseCode } from '../auth/close-codes.ts'
import type { Identity } from '../auth/identity.ts'
import { socketGrant } from '../auth/live-sockets.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import type { Pipelines } from '../pipelines/pipelines-module.ts'
import { readLogs } from '../pipelines/run-service.ts'

/** Close codes of the live log socket, shared with clients. */
export const RunLogCloseCode = {
  /** The run ended and every log line was sent. */
  runEnded: 1000,
  serverClosing: 1001,
  internalError: 1011,
  /** Signed out, session or API token revoked, account disabled while watching. */
  unauthorized: AccessCloseCode.unauthorized,
  forbidden: AccessCloseCode.forbidden,
  /** Removed from the workspace (or it was deleted) while watching. */
  accessRevoked: AccessCloseCode.accessRevoked,
} as const

/** What the live log socket sends, one JSON text message each. */
export type RunLogMessage =
  | { type: 'log'; seq: number; stepId: string | null; level: string; message: string; at: string }
  | { type: 'status'; status: string }
  | { type: 'end'; status: string }

const POLL_MS = 250
const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'timed_out'])

/**
 * `GET /workspaces/:workspaceId/pipeline-runs/:runId/logs/live` (websocket, viewer): sends the run's
 * log lines from `?after=<seq>` (default: the start) as they are written, status changes, and `end`
 * once the run is over. Reads the metadata DB, so it works whichever process runs the worker.
 */
export function pipelineLogRoutes(identity: Identity, deps: () => Pipelines | undefined) {
  return new Hono<AppEnv>().get(
    '/workspaces/:workspaceId/pipeline-runs/:runId/logs/live',
    authorize(identity, can.workspace('viewer'), 'pipelines.runs.logs.live'),
    async (c, next) => {
      const pipelines = deps()
      if (!pipelines) throw new AppError(503, 'pipelines_unavailable', 'Pipelines are still starting')
      // 404 before the upgrade, so a client learns at once that the run does not exist here.
      await pipelines.runs.get(c.req.param('workspaceId') as string, c.req.param('runId') as string)
      await next()
    },
    upgradeWebSocket((c) => {
      const pipelines = deps() as Pipelines
      const runId = c.req.param('runId') as string
      const principal = c.get('principal')
      const workspaceId = c.req.param('workspaceId') as string
      let unregister: (() => void) | undefined
      let after = Number(c.req.query('after') ?? 0) || 0
      let timer: NodeJS.Timeout | undefined
      let closed = false
      let lastStatus = ''
      return {
        onOpen: (_event, ws) => {
          const live = principal && socketGrant(principal, workspaceId, 'viewer')
          if (!live) return ws.close(RunLogCloseCode.unauthorized, 'no session to follow')
          unregister = identity.liveSockets.register(live, {
            close: (code, reason) => {
              closed = true
              clearTimeout(timer)
              ws.close(code, reason)
            },
          })
          const send = (message: RunLogMessage) => {
            if (closed) return
            if (ws.readyState === 1) ws.send(JSON.stringify(message))
          }
          const poll = async () => {
            const run = await pipelines.pipelines.db
              .selectFrom('pipeline_runs')
              .select('status')
              .where('id', '=', runId)
              .executeTakeFirst()
            // Read logs after the status: a run seen finished has written all of its lines.
            for (;;) {
              const page = await readLogs(pipelines.pipelines.db, runId, after, 500)
              for (const item of page.items) send({ type: 'log', ...item })
              after = page.next
              if (page.items.length < 500) break
            }
            const status = run?.status ?? 'failed'
            if (status !== lastStatus) send({ type: 'status', status })
            lastStatus = status
            if (FINISHED.has(status)) {
              send({ type: 'end', status })
              ws.close(RunLogCloseCode.runEnded, 'run ended')
              return
            }
            if (!closed) timer = setTimeout(tick, POLL_MS)
          }
          const tick = () => {
            poll().catch(() => ws.close(RunLogCloseCode.internalError, 'could not read the run log'))
          }
          tick()
        },
        onClose: () => {
          closed = true
          clearTimeout(timer)
          unregister?.()
        },
      }
    }),
  )
}
