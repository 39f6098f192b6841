// The pipeline spec: YAML format, validation and helpers. Pure functions, no I/O.

export {
  type CompiledStep,
  type CompileNotebookOptions,
  type CompileProblem,
  type CompileProblemCode,
  type CompileResult,
  compileNotebook,
  compileNotebookWith,
  type NotebookCell,
  type NotebookModel,
  type NotebookPin,
  sqlToParse,
} from './compile-notebook.ts'
export { cronProblem, isTimeZone } from './cron.ts'
export { parseDuration } from './duration.ts'
export { type Expression, type ExpressionScope, evaluate, parseExpression, references } from './expression.ts'
export { ancestors, checkGraph, type GraphProblem } from './graph.ts'
export { INJECTED_PARAMETERS_TAG, PARAMETERS_TAG, STEP_TAG_PREFIX, sourceOf, sqlCellParts } from './notebook-cells.ts'
export { toPython } from './notebook-python.ts'
export { type ParamProblem, type ParamValue, paramTypeProblem, resolveParams } from './params.ts'
export type { Position, SpecPath } from './positions.ts'
export {
  OVERLAP_POLICIES,
  PARAM_TYPES,
  type ParamSpec,
  PIPELINE_API_VERSION,
  type PipelineSchedule,
  type PipelineSpec,
  pipelineJsonSchema,
  pipelineSchema,
  type StepSpec,
} from './schema.ts'
export {
  BUILTIN_STEP_TYPES,
  defineStepType,
  type ExternalReference,
  QUALITY_CHECK_KINDS,
  type QualityCheck,
  type StepType,
  type StepTypeRegistry,
  stepTypeRegistry,
} from './step-types.ts'
export { render } from './template.ts'
export {
  type ProblemCode,
  type SpecProblem,
  type ValidateOptions,
  type ValidationResult,
  validatePipeline,
} from './validate.ts'
