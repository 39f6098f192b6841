import { type ChildProcess, spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { accessSync, constants, existsSync } from 'node:fs'
import type { Logger } from 'pino'

export type ChildState = 'idle' | 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped'

export interface ChildSpec {
  /** Short name used in logs and errors, e.g. `jupyter`. */
  name: string
  command: string
  args: string[]
  env?: Record<string, string>
  cwd?: string
  /** Resolves once the child answers; rejects while it does not (polled until `startTimeoutMs`). */
  healthCheck: () => Promise<void>
  startTimeoutMs?: number
}

export interface SupervisorOptions {
  /** First restart delay; doubles per consecutive failure up to `maxBackoffMs`. */
  initialBackoffMs: number
  maxBackoffMs: number
  /** How long SIGTERM gets before SIGKILL on stop. */
  stopGraceMs: number
}

export const defaultSupervisorOptions: SupervisorOptions = {
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  stopGraceMs: 5_000,
}

const STDERR_TAIL_LINES = 20

/**
 * setpriv(1) sets PR_SET_PDEATHSIG before exec'ing the child: if the workbench itself is killed with
 * SIGKILL (no chance to clean up), the kernel still kills the child, so nothing is left orphaned.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p))

/**
 * One supervised child process: started and health-checked, restarted with exponential backoff when it
 * dies, stopped (its whole process group) on shutdown.
 *
 * @example
 * const child = new SupervisedProcess(spec, logger)
 * await child.start() // rejects with the child's last stderr lines if it never becomes healthy
 * await child.stop()
 */
export class SupervisedProcess extends EventEmitter<{ state: [ChildState]; exit: [number | null, string | null] }> {
  #child: ChildProcess | undefined
  #state: ChildState = 'idle'
  #failures = 0
  #restartTimer: NodeJS.Timeout | undefined
  #stderrTail: string[] = []
  readonly #options: SupervisorOptions
  readonly #logger: Logger

  constructor(
    readonly spec: ChildSpec,
    logger: Logger,
    options: Partial<SupervisorOptions> = {},
  ) {
    super()
    this.#options = { ...defaultSupervisorOptions, ...options }
    this.#logger = logger.child({ child: spec.name })
  }

  get state(): ChildState {
    return this.#state
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  /** Throws unless the child is up (not starting, restarting or stopped); for readiness probes. */
  assertRunning(): void {
    if (this.#state !== 'running')
      throw new Error(`${this.spec.name} is ${this.#state === 'backoff' ? 'restarting' : this.#state}`)
  }

  /** Starts the child and waits until its health check passes. */
  async start(): Promise<void> {
    if (this.#state === 'running' || this.#state === 'starting') return
    await this.#launch()
  }

  async stop(): Promise<void> {
    clearTimeout(this.#restartTimer)
    const child = this.#child
    this.#setState('stopping')
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      this.#signalGroup(child, 'SIGTERM')
      const timer = setTimeout(() => this.#signalGroup(child, 'SIGKILL'), this.#options.stopGraceMs)
      await exited
      clearTimeout(timer)
      // Grandchildren (e.g. Jupyter kernels) share the group: make sure none outlives its parent.
      this.#signalGroup(child, 'SIGKILL')
    }
    this.#child = undefined
    this.#setState('stopped')
  }

  async #launch(): Promise<void> {
    const { spec } = this
    this.#setState('starting')
    // Through setpriv, a missing program would only show as an exit code: say it plainly instead.
    if (spec.command.includes('/')) {
      try {
        accessSync(spec.command, constants.X_OK)
      } catch {
        this.#setState('stopped')
        throw new Error(`${spec.name}: cannot start ${spec.command}: not found or not executable`)
      }
    }
    this.#stderrTail = []
    const [command, args] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', spec.command, ...spec.args]]
      : [spec.command, spec.args]
    const child = spawn(command, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      // Own process group: a terminal's Ctrl-C reaches only us, and we stop the children in order.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#child = child
    this.#pipeLines(child.stdout, 'debug')
    this.#pipeLines(child.stderr, 'debug', (line) => {
      this.#stderrTail.push(line)
      if (this.#stderrTail.length > STDERR_TAIL_LINES) this.#stderrTail.shift()
    })

    const spawnFailed = new Promise<never>((_, reject) => {
      child.once('error', (err) => reject(new Error(`${spec.name}: cannot start ${spec.command}: ${err.message}`)))
    })
    const exitedEarly = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => {
        const tail = this.#stderrTail.slice(-3).join(' | ')
        reject(new Error(`${spec.name} exited during start (${signal ?? `code ${code}`})${tail ? `: ${tail}` : ''}`))
      })
    })
    child.once('exit', (code, signal) => this.#onExit(child, code, signal))

    try {
      await Promise.race([this.#waitHealthy(child), spawnFailed, exitedEarly])
    } catch (err) {
      if (child.exitCode === null && child.signalCode === null) this.#signalGroup(child, 'SIGKILL')
      throw err
    } finally {
      spawnFailed.catch(() => {})
      exitedEarly.catch(() => {})
    }
    this.#failures = 0
    this.#setState('running')
    this.#logger.info({ pid: child.pid }, 'child healthy')
  }

  async #waitHealthy(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + (this.spec.startTimeoutMs ?? 60_000)
    let lastError: unknown
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) return new Promise(() => {})
      try {
        await this.spec.healthCheck()
        return
      } catch (err) {
        lastError = err
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError)
    throw new Error(`${this.spec.name} did not become healthy in ${this.spec.startTimeoutMs ?? 60_000} ms: ${reason}`)
  }

  #onExit(child: ChildProcess, code: number | null, signal: string | null): void {
    this.emit('exit', code, signal)
    if (this.#child !== child) return
    if (this.#state === 'stopping' || this.#state === 'stopped') return
    // Kernels and other grandchildren of a dead child would otherwise linger.
    this.#signalGroup(child, 'SIGKILL')
    if (this.#state === 'starting') return // #launch reports this to its caller
    this.#failures += 1
    const delay = Math.min(this.#options.initialBackoffMs * 2 ** (this.#failures - 1), this.#options.maxBackoffMs)
    this.#logger.warn({ code, signal, restartInMs: delay }, 'child exited unexpectedly; restarting')
    this.#setState('backoff')
    this.#restartTimer = setTimeout(() => this.#restart(), delay)
  }

  #restart(): void {
    if (this.#state !== 'backoff') return
    this.#launch().catch((err: unknown) => {
      this.#logger.error({ err }, 'restart failed')
      if (this.#state !== 'starting') return
      this.#failures += 1
      const delay = Math.min(this.#options.initialBackoffMs * 2 ** (this.#failures - 1), this.#options.maxBackoffMs)
      this.#setState('backoff')
      this.#restartTimer = setTimeout(() => this.#restart(), delay)
    })
  }

  #signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
    if (child.pid === undefined) return
    try {
      process.kill(-child.pid, signal)
    } catch {
      // Group already gone.
    }
  }

  #pipeLines(stream: NodeJS.ReadableStream | null, level: 'debug' | 'info', onLine?: (line: string) => void): void {
    if (!stream) return
    let buffer = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      buffer += chunk
      let newline = buffer.indexOf('\n')
      while (newline >= 0) {
        const line = buffer.slice(0, newline).trimEnd()
        buffer = buffer.slice(newline + 1)
        if (line) {
          this.#logger[level]({ line }, 'child output')
          onLine?.(line)
        }
        newline = buffer.indexOf('\n')
      }
    })
  }

  #setState(state: ChildState): void {
    this.#state = state
    this.emit('state', state)
  }
}
