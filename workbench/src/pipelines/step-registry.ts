import { BUILTIN_STEP_TYPES, type StepTypeRegistry, stepTypeRegistry } from '@workbench/orchestrator/spec'
import { catalogRefreshStep } from '../catalog/catalog-refresh-step.ts'
import { odooExtractStep, odooWriteStep } from '../odoo/odoo-steps.ts'

/**
 * The step types this workbench's pipelines accept: the orchestrator's built-ins and the workbench's own
 * (`catalog.refresh`). Validation, the published JSON Schema and the worker all use this one registry.
 */
export const WORKBENCH_STEP_TYPES: StepTypeRegistry = stepTypeRegistry([
  ...BUILTIN_STEP_TYPES,
  catalogRefreshStep,
  odooExtractStep,
  odooWriteStep,
])
