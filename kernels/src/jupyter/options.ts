import type { OutputLimits } from '../output-limits.ts'

export interface JupyterKernelOptions {
  /** The Jupyter Server, e.g. `http://127.0.0.1:8888`. */
  baseUrl: string
  token: string
  /** Kernel spec name. */
  kernelName: string
  /**
   * The kernel's working folder as a path under the server's root (`POST /api/kernels` `path`). The
   * workbench's sandbox provisioner derives the kernel's workspace from it.
   */
  path?: string
  /**
   * Sent as `env` with the start request: Enterprise Gateway passes `KERNEL_*` entries to its kernel
   * launchers (e.g. `KERNEL_WORKSPACE_ID` to pick a workspace's container); Jupyter Server ignores it.
   */
  env?: Record<string, string>
  limits?: Partial<OutputLimits>
  /** How long a completion or inspection may take before it answers nothing (a running cell delays it). */
  requestTimeoutMs: number
}

export const defaultJupyterKernelOptions = {
  kernelName: 'python3',
  requestTimeoutMs: 5_000,
} satisfies Partial<JupyterKernelOptions>
