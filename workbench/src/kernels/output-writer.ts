import type { Output } from '@workbench/kernels'
import type { DocumentRoom } from '../collab/document-room.ts'
import { appendOutputs, findCell } from './notebook-document.ts'

/**
 * Streams a running cell's outputs into the shared document without one stored update per chunk: outputs
 * arriving within `throttleMs` of the first unwritten one are written together, in one server change
 * (stored, then broadcast to every collaborator). A cell deleted meanwhile simply receives nothing.
 */
export class CellOutputWriter {
  readonly #room: DocumentRoom
  readonly #cellId: string
  readonly #throttleMs: number
  #pending: Output[] = []
  #timer: NodeJS.Timeout | undefined
  #written: Promise<void> = Promise.resolve()

  constructor(room: DocumentRoom, cellId: string, throttleMs: number) {
    this.#room = room
    this.#cellId = cellId
    this.#throttleMs = throttleMs
  }

  push(output: Output): void {
    this.#pending.push(output)
    this.#timer ??= setTimeout(() => void this.#write(), this.#throttleMs)
  }

  /** Writes whatever is pending and waits until everything pushed so far is stored. */
  async flush(): Promise<void> {
    await this.#write()
  }

  #write(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const batch = this.#pending.splice(0)
    if (batch.length > 0) {
      const cellId = this.#cellId
      this.#written = this.#written
        .then(() =>
          this.#room.change((doc) => {
            const cell = findCell(doc, cellId)
            if (cell) appendOutputs(cell, batch)
          }),
        )
        .catch((err: unknown) => this.#room.logger.error({ err, cellId }, 'could not write cell outputs'))
    }
    return this.#written
  }
}
