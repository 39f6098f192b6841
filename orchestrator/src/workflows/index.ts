// The worker bundles this file: export every workflow here. Deterministic code only (see biome.json).
export { smokeWorkflow } from './smoke.ts'
