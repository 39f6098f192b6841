import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

/**
 * How the OCR and PDF binaries (tesseract, pdftotext, pdftoppm, pdfinfo) run on user files: `bwrap` (default)
 * runs them in a bubblewrap sandbox with no network, a read-only /usr and only the job folder writable;
 * `off` runs them directly (still with the time and memory bounds).
 */
export type ToolSandbox = 'bwrap' | 'off'

export interface ToolLimits {
  /** Wall-clock limit; the process group is killed after it. */
  timeoutMs: number
  /** Address-space limit (bytes), enforced with prlimit. */
  memoryBytes: number
  /** Largest stdout kept (bytes); more fails the run. */
  maxOutputBytes: number
}

export const defaultToolLimits: ToolLimits = {
  timeoutMs: 60_000,
  memoryBytes: 1024 * 1024 * 1024,
  maxOutputBytes: 32 * 1024 * 1024,
}

/** A tool that did not finish well: `reason` tells timeouts and crashes apart for the error codes. */
export class ToolError extends Error {
  constructor(
    readonly tool: string,
    readonly reason: 'timeout' | 'failed' | 'output_too_large' | 'missing',
    message: string,
  ) {
    super(message)
    this.name = 'ToolError'
  }
}

/**
 * A temporary job folder: files are copied in, the tool sees only this folder (as `/job` in the sandbox),
 * and everything is removed by `dispose`.
 */
export class ToolJob {
  private constructor(readonly dir: string) {}

  static async create(parent = os.tmpdir()): Promise<ToolJob> {
    return new ToolJob(await mkdtemp(path.join(parent, 'workbench-doc-')))
  }

  /** A path inside the job folder as the host sees it. */
  file(name: string): string {
    return path.join(this.dir, name)
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }
}

export interface ToolRunner {
  /**
   * Runs `command args` with the job folder as working directory; paths in `args` are relative to it.
   * Resolves with stdout (bytes) or rejects with a {@link ToolError}.
   */
  run(job: ToolJob, command: string, args: string[], limits?: Partial<ToolLimits>): Promise<Buffer>
}

/** Environment the tools get: nothing of the server's (no secrets), one OpenMP thread (the machine is shared). */
const TOOL_ENV = {
  PATH: '/usr/bin:/bin',
  LANG: 'C.UTF-8',
  OMP_THREAD_LIMIT: '1',
  HOME: '/job',
}

/**
 * Runs the document tools sandboxed and bounded.
 *
 * @example
 * const runner = createToolRunner('bwrap')
 * const job = await ToolJob.create()
 * const tsv = await runner.run(job, 'tesseract', ['page.png', 'stdout', 'tsv'])
 */
export function createToolRunner(sandbox: ToolSandbox = 'bwrap'): ToolRunner {
  return {
    run(job, command, args, limits = {}) {
      const { timeoutMs, memoryBytes, maxOutputBytes } = { ...defaultToolLimits, ...limits }
      const bounded = ['prlimit', `--as=${memoryBytes}`, `--cpu=${Math.ceil(timeoutMs / 1000) + 1}`, '--', command]
      const [file, argv, cwd] =
        sandbox === 'bwrap'
          ? ['bwrap', [...bwrapArgs(job.dir), ...bounded, ...args], job.dir]
          : [bounded[0] as string, [...bounded.slice(1), ...args], job.dir]
      return new Promise<Buffer>((resolve, reject) => {
        const child = spawn(file, argv, { cwd, env: TOOL_ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
        const out: Buffer[] = []
        let outBytes = 0
        let err = ''
        let failure: ToolError | undefined
        const kill = (reason: ToolError) => {
          failure ??= reason
          try {
            if (child.pid) process.kill(-child.pid, 'SIGKILL')
          } catch {
            // already gone
          }
        }
        const timer = setTimeout(
          () => kill(new ToolError(command, 'timeout', `${command} took longer than ${timeoutMs} ms`)),
          timeoutMs,
        )
        child.stdout.on('data', (chunk: Buffer) => {
          outBytes += chunk.length
          if (outBytes > maxOutputBytes)
            kill(new ToolError(command, 'output_too_large', `${command} wrote more than ${maxOutputBytes} bytes`))
          else out.push(chunk)
        })
        child.stderr.on('data', (chunk: Buffer) => {
          if (err.length < 4000) err += chunk.toString()
        })
        child.on('error', (e) => {
          clearTimeout(timer)
          reject(new ToolError(command, 'missing', `cannot run ${file}: ${e.message}`))
        })
        child.on('close', (code, signal) => {
          clearTimeout(timer)
          if (failure) return reject(failure)
          if (code === 0) return resolve(Buffer.concat(out))
          const detail = err.trim().split('\n').slice(-3).join(' ').slice(0, 500)
          reject(new ToolError(command, 'failed', `${command} failed (${signal ?? `exit ${code}`}): ${detail}`))
        })
      })
    },
  }
}

/** A sandbox with the system's programs and data read-only, the job folder writable, and nothing else. */
function bwrapArgs(dir: string): string[] {
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr']
  for (const link of ['bin', 'lib', 'lib64', 'sbin']) {
    const target = `/${link}`
    if (existsSync(target)) args.push('--symlink', `usr/${link}`, target)
  }
  // Fontconfig and poppler read /etc; nothing secret lives in these folders.
  for (const etc of ['/etc/fonts', '/etc/alternatives', '/etc/ld.so.cache'])
    if (existsSync(etc)) args.push('--ro-bind', etc, etc)
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--bind', dir, '/job', '--chdir', '/job')
  return args
}
