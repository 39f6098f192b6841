import { ApplicationFailure } from '@temporalio/activity'
import type { NotebookRunner, PythonRunner, StepHandler } from '../types.ts'
import type { KernelStepDeps } from './kernel-session.ts'
import { type NotebookStepWith, runNotebookStep } from './notebook-step.ts'
import { type PythonStepWith, runPythonStep } from './python-step.ts'

function unavailable(type: string): never {
  throw ApplicationFailure.nonRetryable(
    `'${type}' steps need the kernels package, which this worker was started without`,
    'StepTypeUnavailable',
  )
}

/**
 * `notebook` steps: the pinned notebook's cells run papermill-style in a fresh kernel session (`kernels`
 * deps), the executed notebook saved as the artifact; or an external `runner` when one is given.
 */
export function notebookHandler(runner: NotebookRunner | undefined, kernels?: KernelStepDeps): StepHandler {
  return async (withBlock, context, input) => {
    if (kernels) return runNotebookStep(kernels, withBlock as unknown as NotebookStepWith, context, input)
    if (!runner) unavailable('notebook')
    return runner.run({
      notebook: withBlock.notebook as string,
      version: withBlock.version as number | string | undefined,
      parameters: (withBlock.parameters as Record<string, unknown> | undefined) ?? {},
      idempotencyKey: context.idempotencyKey,
      signal: context.signal,
    })
  }
}

/** `python` steps: a script in a fresh Jupyter kernel (`kernels` deps), or an external `runner`. */
export function pythonHandler(runner: PythonRunner | undefined, kernels?: KernelStepDeps): StepHandler {
  return async (withBlock, context, input) => {
    if (kernels) return runPythonStep(kernels, withBlock as unknown as PythonStepWith, context, input)
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
