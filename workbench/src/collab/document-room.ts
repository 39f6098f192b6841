import type { Logger } from 'pino'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import { CollabCloseCode } from './close-codes.ts'
import { type DocumentStore, isValidUpdate } from './document-store.ts'
import {
  decodeMessage,
  encodeAck,
  encodeAwareness,
  encodePermissionDenied,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from './protocol.ts'

/** One client's socket, as the room sees it. */
export interface CollabConnection {
  readonly userId: string
  /** The workspace the connection was authorized through (to revoke it with the membership). */
  readonly workspaceId?: string
  readonly canWrite: boolean
  /** Wants `ack` messages once its updates are stored. */
  readonly wantsAcks: boolean
  send(data: Uint8Array): void
  close(code: number, reason: string): void
}

interface PendingUpdate {
  connection: CollabConnection
  state: ConnectionState
  update: Uint8Array
}

interface ConnectionState {
  awarenessClients: Set<number>
  /** Set when the user was downgraded while connected: their updates are refused from then on. */
  readOnly: boolean
  updatesStored: number
  deniedOnce: boolean
}

/**
 * A loaded notebook document and the clients editing it. Every client update is stored before it is
 * applied and broadcast, through one queue per document, so an update that anyone has seen (or that
 * was acknowledged) is never lost, whatever happens to the process afterwards.
 */
export class DocumentRoom {
  readonly awareness: awarenessProtocol.Awareness
  readonly #connections = new Map<CollabConnection, ConnectionState>()
  #queue: Promise<void> = Promise.resolve()
  /** Client updates waiting for their (shared) write. */
  #batch: PendingUpdate[] = []
  #lastSeq: string
  #pendingUpdates: number
  #pendingBytes: number
  #snapshotBytes: number
  #destroyed = false

  constructor(
    readonly notebookId: string,
    readonly doc: Y.Doc,
    loaded: { lastSeq: string; pendingUpdates: number; pendingBytes: number; snapshotBytes: number },
    readonly store: DocumentStore,
    readonly logger: Logger,
  ) {
    this.#lastSeq = loaded.lastSeq
    this.#pendingUpdates = loaded.pendingUpdates
    this.#pendingBytes = loaded.pendingBytes
    this.#snapshotBytes = loaded.snapshotBytes
    this.awareness = new awarenessProtocol.Awareness(doc)
    // The server itself has no presence.
    this.awareness.setLocalState(null)
    this.awareness.on('update', this.#onAwareness)
    this.doc.on('update', this.#onDocUpdate)
  }

  /** Seq of the last stored update of the document (what it contains now, once stored); '0' for a new one. */
  get lastSeq(): string {
    return this.#lastSeq
  }

  get connectionCount(): number {
    return this.#connections.size
  }

  /** Registers a client and starts the sync handshake (our step 1, and the current presence). */
  add(connection: CollabConnection): void {
    this.#connections.set(connection, {
      awarenessClients: new Set(),
      readOnly: false,
      updatesStored: 0,
      deniedOnce: false,
    })
    connection.send(encodeSyncStep1(this.doc))
    const states = [...this.awareness.getStates().keys()]
    if (states.length > 0) connection.send(encodeAwareness(this.awareness, states))
  }

  remove(connection: CollabConnection): void {
    const state = this.#connections.get(connection)
    if (!state) return
    this.#connections.delete(connection)
    awarenessProtocol.removeAwarenessStates(this.awareness, [...state.awarenessClients], null)
  }

  /** Handles one binary message from `connection`. Malformed input closes that connection only. */
  handle(connection: CollabConnection, data: Uint8Array): void {
    const state = this.#connections.get(connection)
    if (!state) return
    let message: ReturnType<typeof decodeMessage>
    try {
      message = decodeMessage(data)
    } catch (err) {
      this.logger.warn({ notebookId: this.notebookId, err: String(err) }, 'malformed collaboration message')
      connection.close(CollabCloseCode.protocolError, 'malformed message')
      return
    }
    switch (message.type) {
      case 'syncStep1':
        connection.send(encodeSyncStep2(this.doc, message.stateVector))
        return
      case 'update':
        this.#acceptUpdate(connection, state, message.update)
        return
      case 'awareness':
        this.#acceptAwareness(connection, state, message.update)
        return
      case 'queryAwareness':
        connection.send(encodeAwareness(this.awareness, [...this.awareness.getStates().keys()]))
        return
    }
  }

  /**
   * Applies a change made by the server itself (e.g. execution outputs). Like a client's update, it is
   * stored before any client is sent it.
   */
  change(fn: (doc: Y.Doc) => void): Promise<void> {
    return this.#enqueue(async () => {
      const captured: Uint8Array[] = []
      const capture = (update: Uint8Array, origin: unknown) => {
        if (origin === SERVER_CHANGE) captured.push(update)
      }
      this.doc.on('update', capture)
      try {
        this.doc.transact(() => fn(this.doc), SERVER_CHANGE)
      } finally {
        this.doc.off('update', capture)
      }
      if (captured.length === 0) return
      const update = Y.mergeUpdates(captured)
      await this.#store(update)
      this.#broadcast(encodeUpdate(update), undefined)
    })
  }

  /** Waits until everything queued so far is stored. */
  flush(): Promise<void> {
    return this.#enqueue(async () => {})
  }

  /** Snapshots the document if its log grew since the last snapshot; called before unloading. */
  async compactIfNeeded(force = false): Promise<void> {
    await this.#enqueue(async () => {
      if (this.#pendingUpdates === 0) return
      if (!force && !this.store.shouldCompact(this.#pendingUpdates, this.#pendingBytes, this.#snapshotBytes)) return
      this.#snapshotBytes = await this.store.compact(this.notebookId, this.doc, this.#lastSeq)
      this.#pendingUpdates = 0
      this.#pendingBytes = 0
    })
  }

  /** Closes every connection with `code` (e.g. server shutdown, access revoked). */
  closeAll(code: number, reason: string, filter: (c: CollabConnection) => boolean = () => true): void {
    for (const connection of [...this.#connections.keys()]) {
      if (!filter(connection)) continue
      this.remove(connection)
      connection.close(code, reason)
    }
  }

  /** Refuses further updates from the matching connections (e.g. their user became a viewer). */
  readOnly(filter: (c: CollabConnection) => boolean): void {
    for (const [connection, state] of this.#connections) if (filter(connection)) state.readOnly = true
  }

  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    this.doc.off('update', this.#onDocUpdate)
    this.awareness.off('update', this.#onAwareness)
    this.awareness.destroy()
    this.doc.destroy()
  }

  #acceptUpdate(connection: CollabConnection, state: ConnectionState, update: Uint8Array): void {
    if (!connection.canWrite || state.readOnly) {
      // A viewer's handshake carries its (empty) state: only real edits are worth a denial.
      if (isEmptyUpdate(update)) return
      if (!state.deniedOnce) {
        state.deniedOnce = true
        connection.send(encodePermissionDenied('read-only: your role cannot edit this notebook'))
      }
      return
    }
    // Group commit: updates that arrive while the previous write is in flight are stored together, in
    // one row, when their turn comes; each is still applied, broadcast and acknowledged only after.
    this.#batch.push({ connection, state, update })
    if (this.#batch.length > 1) return
    void this.#enqueue(async () => {
      const batch = this.#batch.splice(0)
      const accepted: PendingUpdate[] = []
      for (const item of batch) {
        if (isEmptyUpdate(item.update)) continue
        // A malformed update must never reach storage.
        if (!isValidUpdate(item.update)) item.connection.close(CollabCloseCode.protocolError, 'malformed update')
        else accepted.push(item)
      }
      try {
        if (accepted.length > 0) await this.#store(Y.mergeUpdates(accepted.map((a) => a.update)))
      } catch (err) {
        this.logger.error({ err, notebookId: this.notebookId }, 'could not store a collaboration update')
        // Nothing was applied or acknowledged: the clients keep their edits and re-send them on reconnect.
        for (const item of accepted) item.connection.close(CollabCloseCode.internalError, 'could not store the update')
        for (const item of batch) if (isEmptyUpdate(item.update)) this.#ack(item.connection, item.state)
        return
      }
      for (const item of accepted) Y.applyUpdate(this.doc, item.update, item.connection)
      // Acknowledged in arrival order (acks count a connection's stored updates).
      for (const item of batch)
        if (isEmptyUpdate(item.update) || accepted.includes(item)) this.#ack(item.connection, item.state)
    })
  }

  #ack(connection: CollabConnection, state: ConnectionState): void {
    state.updatesStored += 1
    if (connection.wantsAcks) connection.send(encodeAck(state.updatesStored))
  }

  async #store(update: Uint8Array): Promise<void> {
    this.#lastSeq = await this.store.append(this.notebookId, update)
    this.#pendingUpdates += 1
    this.#pendingBytes += update.byteLength
    if (this.store.shouldCompact(this.#pendingUpdates, this.#pendingBytes, this.#snapshotBytes)) {
      this.#snapshotBytes = await this.store.compact(this.notebookId, this.doc, this.#lastSeq)
      this.#pendingUpdates = 0
      this.#pendingBytes = 0
    }
  }

  #acceptAwareness(connection: CollabConnection, state: ConnectionState, update: Uint8Array): void {
    try {
      // Remember which presence entries belong to this socket, to remove them when it leaves.
      const before = new Set(this.awareness.getStates().keys())
      awarenessProtocol.applyAwarenessUpdate(this.awareness, update, connection)
      for (const client of this.awareness.getStates().keys())
        if (!before.has(client)) state.awarenessClients.add(client)
    } catch {
      connection.close(CollabCloseCode.protocolError, 'malformed awareness update')
    }
  }

  #onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    // Server changes are broadcast by change(), once stored.
    if (origin === SERVER_CHANGE) return
    this.#broadcast(encodeUpdate(update), origin)
  }

  #broadcast(message: Uint8Array, except: unknown): void {
    for (const connection of this.#connections.keys()) if (connection !== except) connection.send(message)
  }

  #onAwareness = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
    const message = encodeAwareness(this.awareness, [...added, ...updated, ...removed])
    for (const connection of this.#connections.keys()) connection.send(message)
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(task)
    this.#queue = next.catch(() => {})
    return next
  }
}

const SERVER_CHANGE = Symbol('server change')

/** An update that adds and deletes nothing (what a client with an empty document sends in its handshake). */
function isEmptyUpdate(update: Uint8Array): boolean {
  // Encoding of "0 structs, 0 delete sets".
  return update.byteLength <= 2 && update.every((b) => b === 0)
}
