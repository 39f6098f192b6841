import type { ParamSpec, PipelineSpec } from './schema.ts'

export type ParamValue = string | number | boolean

/** Why `value` does not fit a parameter type, or `undefined` when it does. */
export function paramTypeProblem(type: ParamSpec['type'], value: unknown): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : 'expected a string'
    case 'integer':
      return Number.isInteger(value) ? undefined : 'expected an integer'
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'expected a number'
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'expected true or false'
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && isRealDate(value)
        ? undefined
        : 'expected a date YYYY-MM-DD'
    case 'datetime':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'expected an ISO 8601 date-time'
  }
}

function isRealDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text)
}

export interface ParamProblem {
  param: string
  message: string
}

/**
 * A run's parameter values: defaults overridden by `overrides`. Reports every missing required
 * parameter, unknown name and type mismatch at once.
 */
export function resolveParams(
  spec: Pick<PipelineSpec, 'params'>,
  overrides: Record<string, unknown> = {},
): { values: Record<string, ParamValue>; problems: ParamProblem[] } {
  const declared = spec.params ?? {}
  const values: Record<string, ParamValue> = {}
  const problems: ParamProblem[] = []
  for (const param of Object.keys(overrides)) {
    if (!(param in declared)) problems.push({ param, message: `unknown parameter '${param}'` })
  }
  for (const [param, definition] of Object.entries(declared)) {
    const value = param in overrides ? overrides[param] : definition.default
    if (value === undefined) {
      problems.push({ param, message: `missing required parameter '${param}' (${definition.type})` })
      continue
    }
    const problem = paramTypeProblem(definition.type, value)
    if (problem) problems.push({ param, message: `parameter '${param}': ${problem}` })
    else values[param] = value as ParamValue
  }
  return { values, problems }
}
