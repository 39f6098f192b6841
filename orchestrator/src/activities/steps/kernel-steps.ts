import { ApplicationFailure } from '@temporalio/activity'
import type { NotebookRunner, PythonRunner, StepHandler } from '../types.ts'

function unavailable(type: string): never {
  throw ApplicationFailure.nonRetryable(
    `'${type}' steps need the kernels package, which this worker was started without`,
    'StepTypeUnavailable',
  )
}

/** `notebook` steps: delegated to the kernels package (papermill-style parameters, executed notebook saved). */
export function notebookHandler(runner: NotebookRunner | undefined): StepHandler {
  return async (withBlock, context) => {
    if (!runner) unavailable('notebook')
    return runner.run({
      notebook: withBlock.notebook as string,
      version: withBlock.version as number | undefined,
      parameters: (withBlock.parameters as Record<string, unknown> | undefined) ?? {},
      idempotencyKey: context.idempotencyKey,
      signal: context.signal,
    })
  }
}

/** `python` steps: a script in a Jupyter kernel, delegated to the kernels package. */
export function pythonHandler(runner: PythonRunner | undefined): StepHandler {
  return async (withBlock, context) => {
    if (!runner) unavailable('python')
    return runner.run({
      code: withBlock.code as string,
      parameters: (withBlock.parameters as Record<string, unknown> | undefined) ?? {},
      kernel: withBlock.kernel as string | undefined,
      idempotencyKey: context.idempotencyKey,
      signal: context.signal,
    })
  }
}
