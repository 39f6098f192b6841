import type { Logger } from 'pino'
import type { DocumentRoom } from '../collab/document-room.ts'
import type { NotebookVersions } from './notebook-versions.ts'

/**
 * Takes an automatic version of a live document once it has been quiet for `quietMs` after an edit
 * (the version is skipped by {@link NotebookVersions.create} when the content did not change).
 */
export class IdleVersions {
  readonly #timers = new Map<string, NodeJS.Timeout>()
  readonly #running = new Set<Promise<unknown>>()

  constructor(
    readonly versions: NotebookVersions,
    readonly quietMs: number,
    readonly logger: Logger,
  ) {}

  /** Watches a loaded room (CollabServer's `onLoad`). */
  watch(room: DocumentRoom): void {
    const onUpdate = () => this.#touch(room.notebookId)
    room.doc.on('update', onUpdate)
    room.doc.once('destroy', () => room.doc.off('update', onUpdate))
  }

  /** Stops the timers; waits for versions being written. */
  async close(): Promise<void> {
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    await Promise.allSettled(this.#running)
  }

  #touch(notebookId: string): void {
    clearTimeout(this.#timers.get(notebookId))
    const timer = setTimeout(() => {
      this.#timers.delete(notebookId)
      const running = this.versions
        .create(notebookId, { kind: 'auto' })
        .catch((err: unknown) => this.logger.error({ err, notebookId }, 'automatic version failed'))
      this.#running.add(running)
      void running.finally(() => this.#running.delete(running))
    }, this.quietMs)
    timer.unref()
    this.#timers.set(notebookId, timer)
  }
}
