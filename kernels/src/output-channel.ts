import type { Output } from './kernel.ts'
import { OutputBudget, type OutputLimits } from './output-limits.ts'

/**
 * The async stream `Kernel.execute` returns. The producer pushes, the consumer iterates; outputs wait here
 * if the consumer is slower, which is safe because the budget bounds what one cell can push.
 * Consecutive stream outputs of the same name are merged while waiting, as Jupyter front ends do.
 */
export class OutputChannel implements AsyncIterable<Output> {
  readonly #queue: Output[] = []
  readonly #budget: OutputBudget | undefined
  #ended = false
  #wake: (() => void) | undefined

  /** Without limits, outputs pass as they are (for relays of a stream a kernel already limited). */
  constructor(limits?: OutputLimits) {
    this.#budget = limits ? new OutputBudget(limits) : undefined
  }

  push(output: Output): void {
    if (this.#ended) return
    for (const kept of this.#budget ? this.#budget.admit(output) : [output]) {
      const last = this.#queue.at(-1)
      if (kept.output_type === 'stream' && last?.output_type === 'stream' && last.name === kept.name) {
        last.text += kept.text
      } else {
        this.#queue.push(kept.output_type === 'stream' ? { ...kept } : kept)
      }
    }
    this.#notify()
  }

  end(): void {
    this.#ended = true
    this.#notify()
  }

  get ended(): boolean {
    return this.#ended
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Output> {
    while (true) {
      const next = this.#queue.shift()
      if (next) {
        yield next
        continue
      }
      if (this.#ended) return
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
    }
  }
}

/** Drains an execution into an array (tests, one-shot REST runs). */
export async function collectOutputs(outputs: AsyncIterable<Output>): Promise<Output[]> {
  const all: Output[] = []
  for await (const output of outputs) all.push(output)
  return all
}
