import type { Logger } from 'pino'
import { CollabCloseCode } from './close-codes.ts'
import { type CollabConnection, DocumentRoom } from './document-room.ts'
import type { DocumentStore } from './document-store.ts'

export interface CollabServerOptions {
  /** How long a document stays in memory after its last client left. */
  unloadDelayMs: number
  /** Largest message accepted from a client. */
  maxMessageBytes: number
  /** Called with a document about to be unloaded (e.g. to refresh content search). */
  onUnload?: (notebookId: string, room: DocumentRoom) => Promise<void>
  /** Called with each document once loaded (e.g. to watch it for idle versions). */
  onLoad?: (room: DocumentRoom) => void
}

export const defaultCollabServerOptions: CollabServerOptions = {
  unloadDelayMs: 30_000,
  maxMessageBytes: 16 * 1024 * 1024,
}

/**
 * The rooms of every open notebook: loads a document on its first connection (concurrent first
 * connections share one load), unloads it a while after the last one leaves, after a final compaction.
 */
export class CollabServer {
  readonly #rooms = new Map<string, Promise<DocumentRoom>>()
  readonly #unloadTimers = new Map<string, NodeJS.Timeout>()
  /** Server-side users of a document (e.g. a running notebook execution): it stays loaded while held. */
  readonly #holds = new Map<string, number>()
  readonly options: CollabServerOptions

  constructor(
    readonly store: DocumentStore,
    readonly logger: Logger,
    options: Partial<CollabServerOptions> = {},
  ) {
    this.options = { ...defaultCollabServerOptions, ...options }
  }

  /** Notebook ids whose document is in memory. */
  get loadedDocuments(): string[] {
    return [...this.#rooms.keys()]
  }

  async connect(notebookId: string, connection: CollabConnection): Promise<DocumentRoom> {
    clearTimeout(this.#unloadTimers.get(notebookId))
    this.#unloadTimers.delete(notebookId)
    const room = await this.room(notebookId)
    room.add(connection)
    return room
  }

  /** The loaded room of a notebook, loading it if needed (server-side writers use this too). */
  room(notebookId: string): Promise<DocumentRoom> {
    let room = this.#rooms.get(notebookId)
    if (!room) {
      room = this.#load(notebookId)
      this.#rooms.set(notebookId, room)
      room.catch(() => this.#rooms.delete(notebookId))
    }
    return room
  }

  /**
   * Opens a notebook's room for a server-side writer (loading the document if no client has it open) and
   * keeps it loaded until `release` is called, whoever connects or leaves meanwhile. Write with
   * `room.change(...)`: stored, then broadcast, like any client's edit.
   */
  async hold(notebookId: string): Promise<{ room: DocumentRoom; release: () => void }> {
    // Counted before loading, so an unload timer firing meanwhile leaves the room alone.
    this.#holds.set(notebookId, (this.#holds.get(notebookId) ?? 0) + 1)
    clearTimeout(this.#unloadTimers.get(notebookId))
    this.#unloadTimers.delete(notebookId)
    let released = false
    const release = () => {
      if (released) return
      released = true
      const left = (this.#holds.get(notebookId) ?? 1) - 1
      if (left > 0) return void this.#holds.set(notebookId, left)
      this.#holds.delete(notebookId)
      void this.#rooms.get(notebookId)?.then(
        (room) => room.connectionCount === 0 && this.#scheduleUnload(room),
        () => {},
      )
    }
    try {
      return { room: await this.room(notebookId), release }
    } catch (err) {
      release()
      throw err
    }
  }

  handle(room: DocumentRoom, connection: CollabConnection, data: Uint8Array): void {
    if (data.byteLength > this.options.maxMessageBytes) {
      room.remove(connection)
      connection.close(CollabCloseCode.messageTooLarge, `messages are limited to ${this.options.maxMessageBytes} bytes`)
      return
    }
    room.handle(connection, data)
  }

  disconnect(room: DocumentRoom, connection: CollabConnection): void {
    room.remove(connection)
    if (room.connectionCount === 0) this.#scheduleUnload(room)
  }

  /**
   * Runs `fn` on a notebook's live room, loading it for the occasion if nobody has it open (then it
   * unloads after the usual delay, like a document whose last client left).
   */
  async withRoom<T>(notebookId: string, fn: (room: DocumentRoom) => Promise<T>): Promise<T> {
    // A hold for the duration, so a pending unload cannot drop the room while `fn` still writes to it.
    const { room, release } = await this.hold(notebookId)
    try {
      return await fn(room)
    } finally {
      release()
    }
  }

  /** Stores everything pending and closes every connection; for shutdown. */
  async close(): Promise<void> {
    for (const timer of this.#unloadTimers.values()) clearTimeout(timer)
    this.#unloadTimers.clear()
    const rooms = await Promise.allSettled(this.#rooms.values())
    for (const result of rooms) {
      if (result.status !== 'fulfilled') continue
      result.value.closeAll(CollabCloseCode.serverShutdown, 'server shutting down')
      await result.value
        .compactIfNeeded()
        .catch((err: unknown) => this.logger.error({ err }, 'final compaction failed'))
      result.value.destroy()
    }
    this.#rooms.clear()
  }

  async #load(notebookId: string): Promise<DocumentRoom> {
    const loaded = await this.store.load(notebookId)
    const room = new DocumentRoom(notebookId, loaded.doc, loaded, this.store, this.logger)
    this.options.onLoad?.(room)
    return room
  }

  #scheduleUnload(room: DocumentRoom): void {
    if (this.#holds.has(room.notebookId)) return
    clearTimeout(this.#unloadTimers.get(room.notebookId))
    const timer = setTimeout(() => {
      this.#unloadTimers.delete(room.notebookId)
      if (room.connectionCount > 0 || this.#holds.has(room.notebookId)) return
      this.#rooms.delete(room.notebookId)
      room
        .compactIfNeeded()
        .then(() => this.options.onUnload?.(room.notebookId, room))
        .catch((err: unknown) => this.logger.error({ err, notebookId: room.notebookId }, 'unloading a document failed'))
        .finally(() => room.destroy())
    }, this.options.unloadDelayMs)
    timer.unref()
    this.#unloadTimers.set(room.notebookId, timer)
  }
}
