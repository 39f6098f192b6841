// `python` steps: a script in a fresh Jupyter kernel, its parameters assigned first (as papermill does).
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity'
import { toPython } from '../../spec/notebook-python.ts'
import type { StepContext, StepInput } from '../types.ts'
import { type CellOutput, interruptOnAbort, type KernelStepDeps, StepArtifacts } from './kernel-session.ts'
import { outputLog } from './output-log.ts'

/** Text kept in the step's output (workflow history); the full outputs are in the artifact. */
const OUTPUT_TEXT_LIMIT = 8_192

export interface PythonStepResult {
  /** stdout and plain-text results, truncated to a few KB. */
  text: string
  truncated: boolean
  artifact: { path: string; bytes: number; format: 'json' }
  durationMs: number
  replayed?: boolean
}

export interface PythonStepWith {
  code: string
  parameters?: Record<string, unknown>
  kernel?: string
}

function textOf(outputs: CellOutput[]): string {
  return outputs
    .map((output) => {
      if (output.output_type === 'stream') return output.text ?? ''
      const data = output.data as Record<string, unknown> | undefined
      return typeof data?.['text/plain'] === 'string' ? `${data['text/plain']}\n` : ''
    })
    .join('')
}

/**
 * A `python` step attempt: idempotent per idempotency key (a finished attempt's result is returned
 * again), fails with the script's error, interrupts the kernel when cancelled.
 */
export async function runPythonStep(
  deps: KernelStepDeps,
  withBlock: PythonStepWith,
  context: StepContext,
  input: StepInput,
): Promise<PythonStepResult> {
  const artifacts = new StepArtifacts(deps.artifactDir(input), context.idempotencyKey)
  const done = artifacts.finished<PythonStepResult>()
  if (done) return { ...done, replayed: true }
  const started = Date.now()
  const parameters = withBlock.parameters ?? {}
  const preamble = Object.entries(parameters)
    .map(([name, value]) => `${name} = ${toPython(value)}`)
    .join('\n')
  const session = await deps.openSession(input, withBlock.kernel ? { kernelName: withBlock.kernel } : {})
  const stopInterrupting = interruptOnAbort(session, context.signal)
  const outputs: CellOutput[] = []
  // What the script prints reaches the run page as it happens, not only in the artifact afterwards.
  const lines = outputLog(context.log)
  try {
    for (const code of [preamble, withBlock.code]) {
      if (code.trim() === '' || context.signal.aborted) continue
      for await (const output of session.execute({ code, language: 'python' }).outputs) {
        outputs.push(output)
        lines.write(output)
      }
      if (outputs.some((output) => output.output_type === 'error')) break
    }
  } finally {
    lines.end()
    stopInterrupting()
    void session.shutdown().catch(() => {})
  }
  const artifact = {
    ...artifacts.write('outputs.json', JSON.stringify({ step: input.stepId, parameters, outputs })),
    format: 'json' as const,
  }
  if (context.signal.aborted) throw new CancelledFailure('python step cancelled')
  const error = outputs.find((output) => output.output_type === 'error')
  if (error) {
    throw ApplicationFailure.create({
      type: 'PythonError',
      message: `${error.ename}: ${error.evalue}`,
      details: [{ ename: error.ename, evalue: error.evalue, traceback: error.traceback, artifact }],
    })
  }
  const text = textOf(outputs)
  return artifacts.finish({
    text: text.slice(0, OUTPUT_TEXT_LIMIT),
    truncated: text.length > OUTPUT_TEXT_LIMIT,
    artifact,
    durationMs: Date.now() - started,
  })
}
