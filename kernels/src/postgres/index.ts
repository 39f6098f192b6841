export { PostgresKernel } from './kernel.ts'
export { defaultPostgresKernelOptions, type PostgresKernelOptions } from './options.ts'
