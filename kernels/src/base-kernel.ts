import {
  type ExecuteOptions,
  errorOutput,
  type Kernel,
  type KernelKind,
  type KernelStatus,
  type Output,
  type StatusListener,
} from './kernel.ts'
import { OutputChannel } from './output-channel.ts'
import { defaultOutputLimits, type OutputLimits } from './output-limits.ts'

/**
 * Queueing, status and lifecycle shared by every backend, so they agree on the semantics the conformance
 * suite checks: cells run one at a time in call order; restart cancels what is queued; a dead kernel
 * answers every cell with an error output until restarted.
 */
export abstract class BaseKernel implements Kernel {
  abstract readonly kind: KernelKind
  #status: KernelStatus = 'starting'
  readonly #listeners = new Set<StatusListener>()
  #tail: Promise<void> = Promise.resolve()
  #pending = 0
  /** Bumped by restart and shutdown: queued cells of an older generation are cancelled, not run. */
  #generation = 0
  #shutDown = false
  protected readonly limits: OutputLimits

  protected constructor(limits: Partial<OutputLimits> = {}) {
    this.limits = { ...defaultOutputLimits, ...limits }
  }

  get status(): KernelStatus {
    return this.#status
  }

  onStatus(listener: StatusListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  protected setStatus(status: KernelStatus): void {
    if (this.#status === status) return
    this.#status = status
    for (const listener of this.#listeners) listener(status)
  }

  /** For backends: the engine went away under us (process died, connection lost). */
  protected markDead(): void {
    this.setStatus('dead')
  }

  /**
   * For connection backends: marks the kernel dead when `connection` errors or ends while it is still the
   * current one (`isCurrent`), so a connection replaced by a restart does not kill its successor.
   */
  protected watchConnection(
    connection: { on(event: 'error' | 'end', listener: () => void): unknown },
    isCurrent: () => boolean,
  ): void {
    const lost = () => {
      if (isCurrent()) this.markDead()
    }
    connection.on('error', lost)
    connection.on('end', lost)
  }

  /** Runs one cell; pushes outputs through `emit`. Should not throw: errors are outputs. */
  protected abstract runCell(code: string, emit: (output: Output) => void, options: ExecuteOptions): Promise<void>
  /** Stops the running cell, if any. */
  protected abstract interruptCell(): Promise<void>
  protected abstract doRestart(): Promise<void>
  protected abstract doShutdown(): Promise<void>
  /** Housekeeping after a cell's outputs have ended (its caller already has them), before the next cell. */
  protected async afterCell(): Promise<void> {}

  execute(code: string, options: ExecuteOptions = {}): AsyncIterable<Output> {
    const channel = new OutputChannel(this.limits)
    const generation = this.#generation
    this.#pending++
    this.#tail = this.#tail.then(async () => {
      try {
        if (this.#shutDown) return channel.push(errorOutput('KernelShutdown', 'The kernel was shut down'))
        if (generation !== this.#generation)
          return channel.push(errorOutput('Cancelled', 'Cancelled: the kernel was restarted before this cell ran'))
        if (this.#status === 'dead')
          return channel.push(errorOutput('KernelDead', 'The kernel is dead: restart it to run cells again'))
        this.setStatus('busy')
        await this.runCell(code, (output) => channel.push(output), options)
      } catch (err) {
        channel.push(errorOutput('InternalError', err instanceof Error ? err.message : String(err)))
      } finally {
        channel.end()
        this.#pending--
        if (this.#pending === 0 && this.#status === 'busy') this.setStatus('idle')
        // Still inside the queue: the next cell waits for it, the finished one does not.
        await this.afterCell().catch(() => {})
      }
    })
    return channel
  }

  async interrupt(): Promise<void> {
    if (this.#status === 'busy') await this.interruptCell()
  }

  async restart(): Promise<void> {
    if (this.#shutDown) throw new Error('The kernel was shut down')
    this.#generation++
    await this.interruptCell().catch(() => {})
    const done = this.#tail.then(async () => {
      this.setStatus('starting')
      await this.doRestart()
      this.setStatus('idle')
    })
    this.#tail = done.catch(() => this.markDead())
    await done
  }

  async shutdown(): Promise<void> {
    if (this.#shutDown) return
    this.#shutDown = true
    this.#generation++
    await this.interruptCell().catch(() => {})
    this.#tail = this.#tail.then(async () => {
      await this.doShutdown().catch(() => {})
      this.setStatus('dead')
    })
    await this.#tail
  }

  /** Resolves once every cell queued so far has finished. */
  protected drained(): Promise<void> {
    return this.#tail
  }
}
