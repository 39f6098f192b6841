import { BUILTIN_STEP_TYPES, type StepTypeRegistry, stepTypeRegistry } from '@workbench/orchestrator/spec'
import { mcpCallStep } from '../agents/mcp-call-step.ts'
import { catalogRefreshStep } from '../catalog/catalog-refresh-step.ts'
import { supersetRefreshStep } from '../superset/superset-refresh-step.ts'

/**
 * The step types this workbench's pipelines accept: the orchestrator's built-ins and the workbench's own
 * (`catalog.refresh`, `mcp.call`, `superset.refresh`). Validation, the published JSON Schema and the worker all use this one registry.
 */
export const WORKBENCH_STEP_TYPES: StepTypeRegistry = stepTypeRegistry([
  ...BUILTIN_STEP_TYPES,
  catalogRefreshStep,
  mcpCallStep,
  supersetRefreshStep,
])
