import type { OutputLimits } from '../output-limits.ts'

export interface JupyterKernelOptions {
  /** The Jupyter Server, e.g. `http://127.0.0.1:8888`. */
  baseUrl: string
  token: string
  /** Kernel spec name. */
  kernelName: string
  limits?: Partial<OutputLimits>
}

export const defaultJupyterKernelOptions = {
  kernelName: 'python3',
} satisfies Partial<JupyterKernelOptions>
