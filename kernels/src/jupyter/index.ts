export { type Completion, type Inspection, JupyterKernel, KERNEL_DIED_MESSAGE } from './kernel.ts'
export { STDIN_NOT_SUPPORTED } from './messages.ts'
export { defaultJupyterKernelOptions, type JupyterKernelOptions } from './options.ts'
