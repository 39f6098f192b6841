import { upgradeWebSocket } from '@hono/node-server'
import { Hono } from 'hono'
import { authorize, can } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { socketGrant } from '../auth/live-sockets.ts'
import { CollabCloseCode } from '../collab/close-codes.ts'
import type { CollabServer } from '../collab/collab-server.ts'
import type { CollabConnection, DocumentRoom } from '../collab/document-room.ts'
import type { CollabDeps, CollabGrant } from '../collab/notebook-access.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'

/**
 * `GET /workspaces/:workspaceId/notebooks/:notebookId/collab`: the y-websocket protocol (document sync
 * and awareness) for one notebook; any member may connect, `authorize` decides who may write.
 * Add `?acks=1` to receive an acknowledgement once each of your updates is stored.
 */
export function collabRoutes(identity: Identity, deps: () => CollabDeps | undefined) {
  // Decided before the upgrade, read once it happens.
  const grants = new WeakMap<Request, CollabGrant>()
  return new Hono<AppEnv>().get(
    '/workspaces/:workspaceId/notebooks/:notebookId/collab',
    authorize(identity, can.workspace('viewer'), 'notebooks.collaborate'),
    async (c, next) => {
      const ready = deps()
      if (!ready) throw new AppError(503, 'collab_unavailable', 'Collaboration is still starting')
      grants.set(c.req.raw, await ready.authorize(c, c.req.param('notebookId')))
      await next()
    },
    upgradeWebSocket((c) => {
      const collab = deps()?.server as CollabServer
      const notebookId = c.req.param('notebookId') as string
      const grant = grants.get(c.req.raw) ?? { userId: 'unknown', canWrite: false }
      const principal = c.get('principal')
      let room: DocumentRoom | undefined
      let connection: CollabConnection | undefined
      let unregister: (() => void) | undefined
      let downgraded = false
      let revoked = false
      // Messages that arrive while the document is loading are handled, in order, once it is.
      const early: Uint8Array[] = []
      return {
        onOpen: (_event, ws) => {
          connection = {
            userId: grant.userId,
            workspaceId: grant.workspaceId,
            canWrite: grant.canWrite,
            wantsAcks: c.req.query('acks') === '1',
            send: (data) => {
              if (ws.readyState === 1) ws.send(data as Uint8Array<ArrayBuffer>)
            },
            close: (code, reason) => ws.close(code, reason),
          }
          const opened = connection
          // Sign-out, revocation, disable and removal close the socket; a downgrade to viewer makes it read-only.
          const live =
            principal &&
            grant.workspaceId &&
            socketGrant(principal, grant.workspaceId, 'viewer', grant.canWrite ? 'editor' : undefined)
          if (!live) return ws.close(CollabCloseCode.unauthorized, 'no session to follow')
          unregister = identity.liveSockets.register(live, {
            close: (code, reason) => {
              // Out of the room first: nothing more it sends is applied, nothing more is sent to it.
              revoked = true
              if (room) collab.disconnect(room, opened)
              ws.close(code, reason)
            },
            downgrade: () => {
              downgraded = true
              room?.readOnly((other) => other === opened)
            },
          })
          collab.connect(notebookId, opened).then(
            (loaded) => {
              if (revoked) return collab.disconnect(loaded, opened)
              room = loaded
              if (downgraded) loaded.readOnly((other) => other === opened)
              for (const data of early.splice(0)) collab.handle(loaded, opened, data)
            },
            () => ws.close(CollabCloseCode.internalError, 'could not load the notebook'),
          )
        },
        onMessage: (event, ws) => {
          if (revoked) return
          const data = toBytes(event.data)
          if (!data || !connection) {
            ws.close(CollabCloseCode.protocolError, 'binary messages only')
            return
          }
          if (room) collab.handle(room, connection, data)
          else early.push(data)
        },
        onClose: () => {
          unregister?.()
          if (room && connection && !revoked) collab.disconnect(room, connection)
        },
      }
    }),
  )
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (Array.isArray(data) && data.every((part) => part instanceof Uint8Array)) return Buffer.concat(data)
  return undefined
}
