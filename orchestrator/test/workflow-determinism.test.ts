import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')
const BIOME = path.join(ROOT, 'node_modules', '.bin', 'biome')

/**
 * Lints `source` placed in `folder` with the project's biome.json, the way the test command lints the
 * tree. The probe file lives only for the duration of the call (biome reads path-based overrides from
 * real paths only).
 */
function lintAs(folder: string, source: string): { ok: boolean; output: string } {
  const file = path.join(ROOT, folder, `lint-probe-${randomBytes(4).toString('hex')}.ts`)
  writeFileSync(file, source)
  try {
    const res = spawnSync(BIOME, ['lint', file], { cwd: ROOT, encoding: 'utf8' })
    return { ok: res.status === 0, output: `${res.stdout}${res.stderr}` }
  } finally {
    rmSync(file, { force: true })
  }
}

describe('workflow determinism lint', () => {
  it('rejects Node built-ins and I/O libraries in workflow code', () => {
    for (const source of [
      "import { readFileSync } from 'node:fs'\nexport const f = readFileSync\n",
      "import pg from 'pg'\nexport const p = pg\n",
      "import { Kysely } from 'kysely'\nexport const k = Kysely\n",
    ]) {
      const result = lintAs('orchestrator/src/workflows', source)
      expect(result.ok, source).toBe(false)
      expect(result.output).toMatch(/Workflow code must be deterministic|Node\.js builtin/)
    }
  })

  it('accepts the Temporal workflow API and activity types', () => {
    const source =
      "import { proxyActivities } from '@temporalio/workflow'\nimport type { Activities } from '../activities/index.ts'\nexport const a = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' })\n"
    expect(lintAs('orchestrator/src/workflows', source).ok).toBe(true)
  })

  it('leaves activities free to do I/O', () => {
    const source = "import { readFileSync } from 'node:fs'\nexport const f = readFileSync\n"
    expect(lintAs('orchestrator/src/activities', source).ok).toBe(true)
  })
})
