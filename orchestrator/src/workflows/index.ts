// The worker bundles this file: export every workflow here. Deterministic code only (see biome.json).
export { pipelineStatusQuery, pipelineWorkflow } from './pipeline.ts'
export { smokeWorkflow } from './smoke.ts'
