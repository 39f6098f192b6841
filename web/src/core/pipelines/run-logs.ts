import type { LogLine } from './types.ts'

/** What the live log socket sends (workbench/src/routes/pipeline-logs-live.ts, `RunLogMessage`). */
export type RunLogMessage =
  | ({ type: 'log' } & LogLine)
  | { type: 'status'; status: string }
  | { type: 'end'; status: string }

/** Close codes of the live log socket (`RunLogCloseCode` on the server). */
export const RunLogCloseCode = {
  runEnded: 1000,
  serverClosing: 1001,
  internalError: 1011,
  unauthorized: 4401,
  forbidden: 4403,
  accessRevoked: 4410,
} as const

/** Access ended (signed out, revoked, removed): reconnecting would only be refused. */
const ACCESS_ENDED: ReadonlySet<number> = new Set([
  RunLogCloseCode.unauthorized,
  RunLogCloseCode.forbidden,
  RunLogCloseCode.accessRevoked,
])

export interface RunLogHandlers {
  onLine: (line: LogLine) => void
  onStatus: (status: string) => void
  onState: (state: 'connecting' | 'live' | 'ended' | 'reconnecting') => void
}

function parseMessage(data: unknown): RunLogMessage | undefined {
  if (typeof data !== 'string') return undefined
  try {
    const value: unknown = JSON.parse(data)
    if (!value || typeof value !== 'object' || !('type' in value)) return undefined
    if (value.type === 'log' || value.type === 'status' || value.type === 'end') return value as RunLogMessage
  } catch {
    // not ours
  }
  return undefined
}

/**
 * Follows a run's log over the live websocket: resumes after the last line seen when the connection
 * drops (backing off up to 10 s), and stops once the server says the run ended. Returns a disposer.
 */
export function followRunLogs(urlFor: (after: number) => string, handlers: RunLogHandlers): () => void {
  let after = 0
  let socket: WebSocket | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let delay = 500
  let stopped = false
  let ended = false
  const connect = () => {
    if (stopped) return
    handlers.onState(after === 0 ? 'connecting' : 'reconnecting')
    const ws = new WebSocket(urlFor(after))
    socket = ws
    ws.onopen = () => {
      delay = 500
      handlers.onState('live')
    }
    ws.onmessage = (event) => {
      const message = parseMessage(event.data)
      if (!message) return
      if (message.type === 'log') {
        if (message.seq <= after) return // a resend after reconnecting
        after = message.seq
        const { type: _type, ...line } = message
        handlers.onLine(line)
      } else {
        handlers.onStatus(message.status)
        if (message.type === 'end') ended = true
      }
    }
    ws.onclose = (event) => {
      if (stopped) return
      if (ended || event.code === RunLogCloseCode.runEnded || ACCESS_ENDED.has(event.code)) {
        handlers.onState('ended')
        return
      }
      handlers.onState('reconnecting')
      timer = setTimeout(connect, delay)
      delay = Math.min(delay * 2, 10_000)
    }
  }
  connect()
  return () => {
    stopped = true
    clearTimeout(timer)
    socket?.close()
  }
}
