import { KernelConnection, type KernelMessage, ServerConnection } from '@jupyterlab/services'
import WebSocket from 'ws'
import { BaseKernel } from '../base-kernel.ts'
import { type ExecuteOptions, errorOutput, type Output } from '../kernel.ts'
import { outputFromIopub } from './messages.ts'
import { defaultJupyterKernelOptions, type JupyterKernelOptions } from './options.ts'

/** Statuses with which the server tells us the kernel process is gone (the server may start a fresh one). */
const GONE: ReadonlySet<KernelMessage.Status> = new Set(['dead', 'autorestarting', 'restarting'])

export const KERNEL_DIED_MESSAGE =
  'The Python kernel died while running this cell (it crashed, ran out of memory or called os._exit); its variables are lost. Restart the kernel to run cells again.'

/**
 * Python (or any Jupyter kernel) through @jupyterlab/services on a Jupyter Server: one server-side kernel
 * per notebook session. stdin is never offered, so `input()` fails at once instead of hanging the queue.
 *
 * @example
 * const kernel = await JupyterKernel.start({ baseUrl: 'http://127.0.0.1:8888', token })
 * for await (const output of kernel.execute('print(1 + 1)')) console.log(output)
 */
export class JupyterKernel extends BaseKernel {
  readonly kind = 'jupyter' as const
  readonly #options: JupyterKernelOptions
  readonly #settings: ServerConnection.ISettings
  #connection: KernelConnection
  /** Settled by the status listener when the kernel dies during a cell. */
  #onDeath: (() => void) | undefined

  private constructor(
    options: JupyterKernelOptions,
    settings: ServerConnection.ISettings,
    connection: KernelConnection,
  ) {
    super(options.limits)
    this.#options = options
    this.#settings = settings
    this.#connection = connection
    this.#watch(connection)
  }

  static async start(
    options: Partial<JupyterKernelOptions> & Pick<JupyterKernelOptions, 'baseUrl' | 'token'>,
  ): Promise<JupyterKernel> {
    const merged = { ...defaultJupyterKernelOptions, ...options }
    const settings = serverSettings(merged.baseUrl, merged.token)
    const kernel = new JupyterKernel(merged, settings, await connect(merged, settings))
    kernel.setStatus('idle')
    return kernel
  }

  /** The server-side kernel id (for logs and for tests that poke the server directly). */
  get kernelId(): string {
    return this.#connection.id
  }

  protected runCell(code: string, emit: (output: Output) => void, options: ExecuteOptions): Promise<void> {
    const executionCount = options.executionCount ?? null
    return new Promise<void>((resolve) => {
      let settled = false
      const finish = () => {
        if (settled) return
        settled = true
        this.#onDeath = undefined
        resolve()
      }
      this.#onDeath = () => {
        if (settled) return
        emit(errorOutput('KernelDied', KERNEL_DIED_MESSAGE))
        finish()
      }
      let future: ReturnType<KernelConnection['requestExecute']>
      try {
        future = this.#connection.requestExecute({
          code,
          allow_stdin: false,
          stop_on_error: true,
          silent: options.silent ?? false,
          store_history: !options.silent,
        })
      } catch (err) {
        emit(errorOutput('KernelDied', err instanceof Error ? err.message : String(err)))
        this.markDead()
        return finish()
      }
      future.onIOPub = (msg) => {
        const output = outputFromIopub(msg, executionCount)
        if (output) emit(output)
      }
      future.done.then(finish, () => {
        // A disposed future means the kernel went away; the status listener reports it (or already has).
        if (GONE.has(this.#connection.status) || this.status === 'dead') this.#onDeath?.()
        else finish()
      })
    })
  }

  /** Any report that the kernel is gone, during a cell or while idle, makes this kernel dead until restart. */
  #watch(connection: KernelConnection): void {
    connection.statusChanged.connect((_sender, status) => {
      if (connection !== this.#connection || !GONE.has(status)) return
      this.markDead()
      this.#onDeath?.()
    })
  }

  /**
   * Jupyter `complete_request`: what may stand at `cursor` (a UTF-16 offset into `code`, as JavaScript
   * counts; the protocol counts code points). Answers no matches when the kernel is dead or too slow (a
   * running cell holds the shell channel), never throws for that.
   */
  async complete(code: string, cursor: number): Promise<Completion> {
    const reply = await this.#ask(() =>
      this.#connection.requestComplete({ code, cursor_pos: toCodePoints(code, cursor) }),
    )
    const content = reply?.content
    if (content?.status !== 'ok') return { matches: [], cursorStart: cursor, cursorEnd: cursor }
    const types = content.metadata?._jupyter_types_experimental
    return {
      matches: content.matches,
      cursorStart: fromCodePoints(code, content.cursor_start),
      cursorEnd: fromCodePoints(code, content.cursor_end),
      ...(Array.isArray(types)
        ? {
            types: (types as { text?: unknown; type?: unknown }[]).map((t) =>
              typeof t.type === 'string' ? t.type : '',
            ),
          }
        : {}),
    }
  }

  /** Jupyter `inspect_request` (Shift-Tab): the documentation of the name at `cursor`, as plain text. */
  async inspect(code: string, cursor: number, detailLevel: 0 | 1 = 0): Promise<Inspection> {
    const reply = await this.#ask(() =>
      this.#connection.requestInspect({ code, cursor_pos: toCodePoints(code, cursor), detail_level: detailLevel }),
    )
    const content = reply?.content
    if (content?.status !== 'ok' || !content.found) return { found: false }
    const text = content.data['text/plain']
    return { found: true, text: typeof text === 'string' ? text : '' }
  }

  async #ask<T>(request: () => Promise<T>): Promise<T | undefined> {
    if (this.status === 'dead') return undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.#options.requestTimeoutMs)
    })
    try {
      return await Promise.race([request().catch(() => undefined), late])
    } finally {
      clearTimeout(timer)
    }
  }

  protected async interruptCell(): Promise<void> {
    if (this.status !== 'dead') await this.#connection.interrupt()
  }

  /** A new kernel process, not the server's in-place restart: that also recovers from a dead kernel. */
  protected async doRestart(): Promise<void> {
    const old = this.#connection
    await close(old)
    this.#connection = await connect(this.#options, this.#settings)
    this.#watch(this.#connection)
  }

  protected async doShutdown(): Promise<void> {
    await close(this.#connection)
  }
}

/** A `complete_reply`: replace `code[cursorStart, cursorEnd)` with one of `matches` (`types[i]` its kind, if known). */
export interface Completion {
  matches: string[]
  cursorStart: number
  cursorEnd: number
  types?: string[]
}

export interface Inspection {
  found: boolean
  /** The kernel's text/plain answer (may carry ANSI colours). */
  text?: string
}

/** A UTF-16 offset as a count of code points (what the Jupyter protocol means by a cursor position). */
function toCodePoints(text: string, offset: number): number {
  return Array.from(text.slice(0, Math.max(0, Math.min(offset, text.length)))).length
}

function fromCodePoints(text: string, points: number): number {
  return Array.from(text).slice(0, Math.max(0, points)).join('').length
}

function serverSettings(baseUrl: string, token: string): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl,
    wsUrl: baseUrl.replace(/^http/, 'ws'),
    token,
    appendToken: true,
    // Node 20 has no global WebSocket; `ws` speaks the same API.
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    fetch: globalThis.fetch.bind(globalThis),
    Request: globalThis.Request,
    Headers: globalThis.Headers,
  })
}

type StartRequest = Pick<JupyterKernelOptions, 'kernelName' | 'path' | 'env'>

/** `POST /api/kernels` with the kernel's folder and gateway env (KernelAPI.startNew sends only `name`). */
async function startKernel(
  options: StartRequest,
  settings: ServerConnection.ISettings,
): Promise<{ id: string; name: string }> {
  const body = {
    name: options.kernelName,
    ...(options.path !== undefined ? { path: options.path } : {}),
    ...(options.env ? { env: options.env } : {}),
  }
  const url = new URL('api/kernels', settings.baseUrl.endsWith('/') ? settings.baseUrl : `${settings.baseUrl}/`)
  const response = await ServerConnection.makeRequest(
    url.href,
    { method: 'POST', body: JSON.stringify(body) },
    settings,
  )
  if (response.status !== 201) throw await ServerConnection.ResponseError.create(response)
  const model: unknown = await response.json()
  if (typeof model !== 'object' || model === null || !('id' in model) || !('name' in model))
    throw new Error('Jupyter answered a kernel start without a kernel id')
  const { id, name } = model
  if (typeof id !== 'string' || typeof name !== 'string') throw new Error('Jupyter answered an invalid kernel model')
  return { id, name }
}

async function connect(options: StartRequest, settings: ServerConnection.ISettings): Promise<KernelConnection> {
  const model = await startKernel(options, settings)
  const connection = new KernelConnection({ model, serverSettings: settings, handleComms: false })
  // `info` resolves after the kernel answered kernel_info over the websocket: it is ready for code.
  await connection.info
  return connection
}

/**
 * Shuts a kernel down and disposes its connection. After the server auto-restarted a dead kernel the
 * connection is reconnecting on its own (an un-awaited promise inside @jupyterlab/services); disposing it
 * mid-way would reject that promise unhandled, so let the reconnect settle first.
 */
async function close(connection: KernelConnection): Promise<void> {
  if (connection.connectionStatus === 'connecting') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, 10_000)
      function done() {
        clearTimeout(timer)
        connection.connectionStatusChanged.disconnect(onChange)
        resolve()
      }
      function onChange(_sender: KernelConnection, status: string) {
        if (status !== 'connecting') done()
      }
      connection.connectionStatusChanged.connect(onChange)
    })
  }
  await connection.shutdown().catch(() => {})
  connection.dispose()
}
