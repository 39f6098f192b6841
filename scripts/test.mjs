#!/usr/bin/env node
// `npm test`: bootstrap, lint + format check, typecheck, web build, then every test suite.
// Ends with one line `N passed, N failed` (lint, typecheck and build count as one check each).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const started = Date.now()
const extraArgs = process.argv.slice(2)

function step(label, command, args) {
  console.error(`\n== ${label}`)
  const t = Date.now()
  const res = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } })
  const ok = res.status === 0
  console.error(`== ${label}: ${ok ? 'ok' : 'FAILED'} (${((Date.now() - t) / 1000).toFixed(1)} s)`)
  return ok
}

const npx = (bin, args) => [process.execPath, [path.join(ROOT, 'node_modules', '.bin', bin), ...args]]

if (!step('bootstrap', process.execPath, [path.join(ROOT, 'scripts', 'bootstrap.mjs'), '--for=test'])) {
  console.log('0 passed, 1 failed')
  process.exit(1)
}

const checks = [
  ['lint', ...npx('biome', ['check', '.'])],
  ['typecheck', ...npx('tsc', ['-p', 'tsconfig.json'])],
  ['typecheck web', ...npx('tsc', ['-p', 'web/tsconfig.json'])],
  ['build web', 'npm', ['run', '--silent', 'build', '-w', 'web']],
]
let passed = 0
let failed = 0
for (const [label, command, args] of checks) {
  if (step(label, command, args)) passed += 1
  else failed += 1
}

mkdirSync(path.join(ROOT, 'test-results'), { recursive: true })
const report = path.join(ROOT, 'test-results', 'vitest.json')
step(
  'tests',
  ...npx('vitest', ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extraArgs]),
)
if (existsSync(report)) {
  const result = JSON.parse(readFileSync(report, 'utf8'))
  passed += result.numPassedTests
  failed += result.numFailedTests
  // A suite that failed to load has no failed test of its own; it must still fail the run.
  if (!result.success && result.numFailedTests === 0) failed += Math.max(1, result.numFailedTestSuites)
} else {
  failed += 1
}
console.error(`\ntotal time ${((Date.now() - started) / 1000).toFixed(0)} s`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
