export { MysqlKernel } from './kernel.ts'
export { defaultMysqlKernelOptions, type MysqlKernelOptions } from './options.ts'
