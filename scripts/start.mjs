#!/usr/bin/env node
// `npm start`: install what is missing, build the web app if its sources changed, then run the server.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function runOrExit(command, args) {
  const res = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' })
  if (res.status !== 0) process.exit(res.status ?? 1)
}

function newestMtime(target) {
  const stat = statSync(target)
  if (!stat.isDirectory()) return stat.mtimeMs
  return readdirSync(target).reduce((max, entry) => Math.max(max, newestMtime(path.join(target, entry))), stat.mtimeMs)
}

/** The web app needs a build when dist is missing or older than any of its sources. */
function webBuildNeeded() {
  const built = path.join(ROOT, 'web', 'dist', 'index.html')
  if (!existsSync(built)) return true
  const sources = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((p) => path.join(ROOT, 'web', p))
  const newest = Math.max(...sources.filter(existsSync).map(newestMtime))
  return newest > statSync(built).mtimeMs
}

runOrExit(process.execPath, [path.join(ROOT, 'scripts', 'bootstrap.mjs'), '--for=run'])
if (webBuildNeeded()) runOrExit('npm', ['run', '--silent', 'build', '-w', 'web'])

// The server handles SIGINT/SIGTERM itself; we only pass them on and mirror its exit code.
const server = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workbench', 'src', 'main.ts')], {
  cwd: ROOT,
  stdio: 'inherit',
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal))
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
