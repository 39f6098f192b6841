import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{client,workbench,kernels,orchestrator,catalog,web,bench}/**/*.test.{ts,tsx}'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['./workbench/test/support/global-setup.ts'],
    // Tests start real services (PostgreSQL, Jupyter, Temporal): generous, but finite, limits.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
})
