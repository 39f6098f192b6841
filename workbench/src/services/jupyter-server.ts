import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Logger } from 'pino'
import type { Config, KernelSandboxConfig } from '../config.ts'
import { randomToken } from '../config.ts'
import { freePort } from './free-port.ts'
import { StartupError } from './startup-error.ts'
import { SupervisedProcess } from './supervisor.ts'

/** Our Python module with Jupyter Server tweaks (see python/workbench_jupyter). */
const PYTHON_EXTENSIONS = path.resolve(import.meta.dirname, '../../../python')

/** Where to reach the Jupyter Server, whether we spawned it or it runs elsewhere. */
export interface JupyterEndpoint {
  baseUrl: string
  token: string
}

export interface JupyterService {
  readonly endpoint: JupyterEndpoint
  /** Throws unless the server answers `/api/status` with our token. */
  check(): Promise<void>
  stop(): Promise<void>
  /** The supervised child in embedded mode (tests kill it to prove restarts). */
  readonly process?: SupervisedProcess
}

async function checkStatus(endpoint: JupyterEndpoint): Promise<void> {
  const res = await fetch(new URL('api/status', withSlash(endpoint.baseUrl)), {
    headers: { Authorization: `token ${endpoint.token}` },
    signal: AbortSignal.timeout(2_000),
  })
  if (res.status === 401 || res.status === 403) throw new StartupError(`token rejected (HTTP ${res.status})`)
  if (!res.ok) throw new Error(`HTTP ${res.status} from /api/status`)
  await res.body?.cancel()
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`
}

/**
 * Starts the Jupyter Server from the project's venv (embedded) or checks the configured `JUPYTER_URL`.
 * Either way, resolves only when the server answers, and rejects with a one-line reason otherwise.
 */
export async function startJupyter(
  config: Config['jupyter'],
  logger: Logger,
  options: { egressRoot?: string } = {},
): Promise<JupyterService> {
  if (config.kind === 'external') {
    const endpoint = { baseUrl: config.url, token: config.token }
    try {
      await checkStatus(endpoint)
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      if (err instanceof StartupError) throw new StartupError(`JUPYTER_TOKEN was rejected by ${config.url}: ${reason}`)
      throw new StartupError(`JUPYTER_URL ${config.url} is not reachable: ${reason}`)
    }
    return { endpoint, check: () => checkStatus(endpoint), stop: async () => {} }
  }

  const executable = path.join(config.venv, 'bin', 'jupyter-server')
  if (!existsSync(executable)) {
    throw new StartupError(
      `Jupyter Server not found at ${executable}: run \`npm run bootstrap\` to create the Python venv`,
    )
  }
  mkdirSync(config.rootDir, { recursive: true })
  const sandbox = config.sandbox ?? { kind: 'off' }
  if (sandbox.kind === 'bwrap') checkBubblewrap()
  else
    logger.warn(
      'KERNEL_SANDBOX=off: Python kernels run unsandboxed as the server user and can read every workspace and key',
    )
  writeKernelSpec(path.join(config.stateDir, 'data'), sandbox)
  const port = await freePort()
  const endpoint = { baseUrl: `http://127.0.0.1:${port}`, token: randomToken() }
  const child = new SupervisedProcess(
    {
      name: 'jupyter',
      command: executable,
      args: [
        '--no-browser',
        '--ServerApp.ip=127.0.0.1',
        `--ServerApp.port=${port}`,
        '--ServerApp.port_retries=0',
        `--ServerApp.root_dir=${config.rootDir}`,
        '--ServerApp.answer_yes=True',
        // The workbench bounds each cell's output itself (KERNEL_OUTPUT_LIMIT_BYTES); Jupyter's IOPub rate
        // limit would instead stretch a print loop to minutes at 1 MB/s and silently drop output.
        '--ZMQChannelsWebsocketConnection.iopub_data_rate_limit=0',
        '--ZMQChannelsWebsocketConnection.iopub_msg_rate_limit=0',
        // TCP_NODELAY on kernel websockets (python/workbench_jupyter): without it every execute round trip
        // waits ~40 ms for Nagle + delayed ACK.
        '--ServerApp.kernel_websocket_connection_class=workbench_jupyter.NoDelayWebsocketConnection',
        // Containers and CI run as root; Jupyter refuses that unless told.
        ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
        ...sandboxArgs(sandbox, config),
        ...(sandbox.kind === 'bwrap' && options.egressRoot
          ? [`--SandboxProvisioner.egress_root=${options.egressRoot}`]
          : []),
      ],
      // The token travels by environment, not argv, so `ps` does not show it.
      env: {
        JUPYTER_TOKEN: endpoint.token,
        PYTHONPATH: PYTHON_EXTENSIONS,
        PYTHONUNBUFFERED: '1',
        // Keep Jupyter's config and runtime files in our data folder, away from the user's own ~/.jupyter.
        JUPYTER_CONFIG_DIR: path.join(config.stateDir, 'config'),
        JUPYTER_DATA_DIR: path.join(config.stateDir, 'data'),
        JUPYTER_RUNTIME_DIR: path.join(config.stateDir, 'runtime'),
        // Our kernelspec in JUPYTER_DATA_DIR wins over the venv's unsandboxed `python3`.
        JUPYTER_PREFER_ENV_PATH: '0',
      },
      healthCheck: () => checkStatus(endpoint),
      startTimeoutMs: 60_000,
    },
    logger,
  )
  await child.start()
  return {
    endpoint,
    check: async () => {
      child.assertRunning()
      await checkStatus(endpoint)
    },
    stop: () => child.stop(),
    process: child,
  }
}

/** The provisioner registered by python/workbench_jupyter-*.dist-info/entry_points.txt. */
const SANDBOX_PROVISIONER = 'workbench-sandbox'

/** Throws a one-line StartupError unless bubblewrap exists and can create the namespaces a kernel needs. */
function checkBubblewrap(): void {
  try {
    execFileSync('bwrap', ['--unshare-net', '--unshare-pid', '--ro-bind', '/', '/', '--', '/bin/true'], {
      stdio: 'pipe',
      timeout: 10_000,
    })
  } catch (err) {
    const reason =
      err instanceof Error && 'code' in err && err.code === 'ENOENT'
        ? 'bubblewrap (bwrap) is not installed: run `npm run bootstrap` as root or `apt-get install bubblewrap`'
        : `bubblewrap cannot create a sandbox here (${firstLine(err)})`
    throw new StartupError(`KERNEL_SANDBOX=bwrap: ${reason}; set KERNEL_SANDBOX=off to run kernels unsandboxed`)
  }
}

function firstLine(err: unknown): string {
  const stderr = err instanceof Error && 'stderr' in err ? String(err.stderr).trim() : ''
  return (stderr || (err instanceof Error ? err.message : String(err))).split('\n')[0] ?? ''
}

/**
 * The `python3` kernelspec the embedded server uses, in its JUPYTER_DATA_DIR. Sandboxed, it names our
 * provisioner; interrupts travel as control messages (a signal to the sandbox's process group would reach
 * only bubblewrap, not the kernel in its own PID namespace).
 */
function writeKernelSpec(dataDir: string, sandbox: KernelSandboxConfig): void {
  const dir = path.join(dataDir, 'kernels', 'python3')
  mkdirSync(dir, { recursive: true })
  const spec = {
    argv: ['python', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
    display_name: sandbox.kind === 'bwrap' ? 'Python 3 (workspace sandbox)' : 'Python 3 (ipykernel)',
    language: 'python',
    ...(sandbox.kind === 'bwrap'
      ? { interrupt_mode: 'message', metadata: { kernel_provisioner: { provisioner_name: SANDBOX_PROVISIONER } } }
      : {}),
  }
  writeFileSync(path.join(dir, 'kernel.json'), `${JSON.stringify(spec, null, 2)}\n`)
}

/** Jupyter flags: every kernelspec (not only ours) gets the sandbox, configured from our config. */
function sandboxArgs(sandbox: KernelSandboxConfig, config: { rootDir: string; stateDir: string }): string[] {
  if (sandbox.kind !== 'bwrap') return []
  return [
    `--KernelProvisionerFactory.default_provisioner_name=${SANDBOX_PROVISIONER}`,
    `--SandboxProvisioner.workspaces_root=${config.rootDir}`,
    `--SandboxProvisioner.state_dir=${path.join(config.stateDir, 'sandbox')}`,
    `--SandboxProvisioner.memory_bytes=${sandbox.memoryBytes}`,
    `--SandboxProvisioner.max_processes=${sandbox.maxProcesses}`,
    `--SandboxProvisioner.cpu_seconds=${sandbox.cpuSeconds}`,
    `--SandboxProvisioner.disk_quota_bytes=${sandbox.diskQuotaBytes}`,
  ]
}
