import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

/** tsx's ESM `register` (its CommonJS twin cannot register from a worker). */
function tsxApiUrl(): string {
  try {
    return import.meta.resolve('tsx/esm/api')
  } catch {
    return pathToFileURL(
      createRequire(import.meta.url)
        .resolve('tsx/esm/api')
        .replace(/\.cjs$/, '.mjs'),
    ).href
  }
}

/**
 * Starts a worker thread on a TypeScript entry: the server runs its TypeScript through tsx, so the worker
 * registers the same loader, then loads `entry`. The worker is unref'd (it never keeps the process alive).
 *
 * @example
 * const worker = startTsWorker(new URL('./xlsx-worker.ts', import.meta.url))
 */
export function startTsWorker(entry: URL): Worker {
  const tsx = tsxApiUrl()
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}) })`
  const worker = new Worker(bootstrap, { eval: true })
  worker.unref()
  return worker
}

export interface TsWorkerJobsOptions<Answer, Result> {
  /** A job still running after this long is abandoned: the worker is replaced (its other jobs fail too). */
  timeoutMs: number
  /** The error a job gets when its time runs out. */
  timeoutError: () => Error
  /** Names the worker in the errors of jobs it dropped by stopping. */
  name: string
  /** Turns the worker's answer into the job's result; throws to reject the job. */
  settle: (answer: Answer) => Result
}

/**
 * Jobs for one TypeScript worker thread ({@link startTsWorker}), started on first use: each job gets an id,
 * a timeout, and its answer (`{ id, … }`) settled by `options.settle`. A job that passes its timeout cannot be
 * interrupted inside the worker, so the worker goes; the next job starts a fresh one.
 *
 * @example
 * const jobs = new TsWorkerJobs<Job, Answer, Sheets>(new URL('./xlsx-worker.ts', import.meta.url), options)
 * const sheets = await jobs.run({ file, outDir })
 */
export class TsWorkerJobs<Job extends object, Answer extends { id: number }, Result> {
  #worker: Worker | undefined
  readonly #pending = new Map<number, { resolve(r: Result): void; reject(e: Error): void; timer: NodeJS.Timeout }>()
  #nextId = 1

  constructor(
    readonly entry: URL,
    readonly options: TsWorkerJobsOptions<Answer, Result>,
  ) {}

  run(job: Job): Promise<Result> {
    const worker = this.#start()
    const id = this.#nextId++
    return new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(() => this.#stop(this.options.timeoutError()), this.options.timeoutMs)
      this.#pending.set(id, { resolve, reject, timer })
      worker.postMessage({ ...job, id })
    })
  }

  close(reason = new Error(`the ${this.options.name} was closed`)): void {
    this.#stop(reason)
  }

  #start(): Worker {
    if (this.#worker) return this.#worker
    const worker = startTsWorker(this.entry)
    worker.on('message', (answer: Answer) => this.#settle(answer))
    worker.on('error', (err) => this.#stop(err))
    worker.on('exit', () => {
      if (this.#worker === worker) this.#stop(new Error(`the ${this.options.name} worker stopped`))
    })
    this.#worker = worker
    return worker
  }

  #settle(answer: Answer): void {
    const pending = this.#pending.get(answer.id)
    if (!pending) return
    this.#pending.delete(answer.id)
    clearTimeout(pending.timer)
    try {
      pending.resolve(this.options.settle(answer))
    } catch (err) {
      pending.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  #stop(reason: Error): void {
    const worker = this.#worker
    this.#worker = undefined
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer)
      pending.reject(reason)
      this.#pending.delete(id)
    }
    void worker?.terminate()
  }
}
