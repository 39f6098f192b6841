#!/usr/bin/env node
// `npm run bench -- <name>`: installs what is missing, then runs bench/run.ts (see there).
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const boot = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'bootstrap.mjs'), '--for=run'], {
  stdio: 'inherit',
})
if (boot.status !== 0) process.exit(boot.status ?? 1)
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', path.join(ROOT, 'bench', 'run.ts'), ...process.argv.slice(2)],
  {
    cwd: ROOT,
    stdio: 'inherit',
  },
)
process.exit(res.status ?? 1)
