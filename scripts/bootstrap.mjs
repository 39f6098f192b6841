#!/usr/bin/env node
// Installs everything the workbench needs, idempotently: npm packages, the Python venv, the Temporal
// CLI and (for tests) Debian packages. Dependency-free on purpose: it runs before node_modules exists.
// Usage: node scripts/bootstrap.mjs [--for=run|test]
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { llamaServerStep } from './bootstrap/llama-server.mjs'
import { ocrPackages } from './bootstrap/ocr.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const TEMPORAL_CLI_VERSION = 'v1.5.1'
const TEMPORAL_MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`
const VENV = path.join(ROOT, '.venv')
const TOOLS_BIN = path.join(ROOT, '.tools', 'bin')
const purpose = process.argv.find((a) => a.startsWith('--for='))?.slice('--for='.length) ?? 'run'

class BootstrapError extends Error {}

function fail(message) {
  console.error(`bootstrap: ${message}`)
  process.exit(1)
}

function log(message) {
  console.error(`bootstrap: ${message}`)
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

function stampMatches(stampFile, value) {
  return existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === value
}

function commandVersion(command, args) {
  const res = spawnSync(command, args, { encoding: 'utf8' })
  if (res.error || res.status !== 0) return undefined
  return `${res.stdout}${res.stderr}`.trim()
}

/** Steps running now: a signal to bootstrap stops them too, so none is left installing on its own. */
const running = new Set()
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    for (const child of running) child.kill('SIGTERM')
    process.exit(signal === 'SIGINT' ? 130 : 143)
  })
}

/** Seconds between "still running" lines of a long step (npm ci, pip install and the Go build take minutes). */
const PROGRESS_SECONDS = Number(process.env.BOOTSTRAP_PROGRESS_SECONDS) || 15

/**
 * Runs a command, streaming its output with a prefix; rejects with a one-line reason. Says when it starts and,
 * every {@link PROGRESS_SECONDS} while it runs, how long it has been going: a first start is never silent.
 */
function run(label, command, args, options = {}) {
  const started = Date.now()
  log(`${label}: started`)
  const ticker = setInterval(
    () => log(`${label}: still running (${Math.round((Date.now() - started) / 1000)} s)`),
    PROGRESS_SECONDS * 1000,
  )
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...options })
    running.add(child)
    child.on('exit', () => running.delete(child))
    const tail = []
    const onData = (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue
        tail.push(line)
        if (tail.length > 15) tail.shift()
        if (process.env.BOOTSTRAP_VERBOSE) console.error(`[${label}] ${line}`)
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', (err) => {
      clearInterval(ticker)
      reject(new BootstrapError(`${label}: cannot run ${command}: ${err.message}`))
    })
    child.on('exit', (code) => {
      clearInterval(ticker)
      if (code === 0) resolve()
      else reject(new BootstrapError(`${label} failed (exit ${code}):\n${tail.join('\n')}`))
    })
  })
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number)
  if (major < 20 || (major === 20 && minor < 19))
    fail(`Node.js 20.19 or newer is required (found ${process.versions.node}): install a current Node.js LTS`)
}

async function npmPackages() {
  const lock = path.join(ROOT, 'package-lock.json')
  const stamp = path.join(ROOT, 'node_modules', '.bootstrap-lock-sha256')
  const hash = sha256(lock)
  if (stampMatches(stamp, hash)) return 'npm packages: up to date'
  if (!commandVersion('npm', ['--version'])) throw new BootstrapError('npm is required: install Node.js with npm')
  const started = Date.now()
  await run('npm ci', 'npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'])
  writeFileSync(stamp, hash)
  return `npm packages: installed in ${seconds(started)}`
}

async function pythonVenv() {
  const lock = path.join(ROOT, 'python', 'requirements.lock.txt')
  const stamp = path.join(VENV, '.bootstrap-lock-sha256')
  const hash = sha256(lock)
  if (stampMatches(stamp, hash) && existsSync(path.join(VENV, 'bin', 'jupyter-server')))
    return 'python venv: up to date'
  const version = commandVersion('python3', ['-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2])'])
  if (!version)
    throw new BootstrapError('Python 3.10+ with the venv module is required: install python3 and python3-venv')
  const [major, minor] = version.split('.').map(Number)
  if (major < 3 || (major === 3 && minor < 10))
    throw new BootstrapError(`Python 3.10+ is required (found ${version}): install a newer python3`)
  const started = Date.now()
  if (!existsSync(path.join(VENV, 'bin', 'python'))) await run('python venv', 'python3', ['-m', 'venv', VENV])
  await run('pip install', path.join(VENV, 'bin', 'pip'), ['install', '--disable-pip-version-check', '-q', '-r', lock])
  writeFileSync(stamp, hash)
  return `python venv: installed in ${seconds(started)}`
}

async function temporalCli() {
  const binary = path.join(TOOLS_BIN, 'temporal')
  const stamp = path.join(ROOT, '.tools', 'temporal.version')
  if (existsSync(binary) && stampMatches(stamp, TEMPORAL_CLI_VERSION)) return 'temporal cli: up to date'
  if (!commandVersion('go', ['version'])) {
    throw new BootstrapError(
      'Go 1.22+ is required to build the Temporal CLI: install Go, or set TEMPORAL_ADDRESS to use an existing Temporal server',
    )
  }
  mkdirSync(TOOLS_BIN, { recursive: true })
  const started = Date.now()
  // Go's module and build caches live in the user's cache folders, so a rebuild after `git clean` is quick.
  await run('go install temporal', 'go', ['install', TEMPORAL_MODULE], {
    env: { ...process.env, GOBIN: TOOLS_BIN, CGO_ENABLED: '0' },
  })
  writeFileSync(stamp, TEMPORAL_CLI_VERSION)
  return `temporal cli: built in ${seconds(started)}`
}

function postgresInstalled() {
  const base = '/usr/lib/postgresql'
  return existsSync(base) && readdirSync(base).some((v) => existsSync(path.join(base, v, 'bin', 'initdb')))
}

/** Debian packages the test suite needs: a real PostgreSQL and MariaDB, and Chromium for browser tests. */
async function aptPackages() {
  const missing = []
  if (!postgresInstalled()) missing.push('postgresql')
  if (!existsSync('/usr/bin/chromium')) missing.push('chromium')
  if (!existsSync('/usr/sbin/mariadbd')) missing.push('mariadb-server')
  if (!hasBubblewrap()) missing.push('bubblewrap')
  // The assistant's tests build llama.cpp's server from source (scripts/bootstrap/llama-server.mjs).
  if (!commandVersion('cmake', ['--version'])) missing.push('cmake')
  if (!commandVersion('g++', ['--version'])) missing.push('g++')
  if (!commandVersion('unzip', ['-v'])) missing.push('unzip')
  if (missing.length === 0) return 'apt packages: present'
  if (process.getuid?.() !== 0)
    throw new BootstrapError(`tests need Debian packages: run \`sudo apt-get install -y ${missing.join(' ')}\``)
  const started = Date.now()
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  await run('apt-get update', 'apt-get', ['update', '-qq'], { env })
  await run('apt-get install', 'apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env })
  return `apt packages: installed ${missing.join(', ')} in ${seconds(started)}`
}

function hasBubblewrap() {
  return ['/usr/bin/bwrap', '/usr/local/bin/bwrap'].some((p) => existsSync(p))
}

/** The kernel sandbox (KERNEL_SANDBOX=bwrap, the default) needs bubblewrap next to the embedded Jupyter. */
async function sandboxPackage() {
  if (hasBubblewrap()) return 'bubblewrap: present'
  if (process.getuid?.() !== 0)
    throw new BootstrapError(
      'Python kernels run sandboxed with bubblewrap: run `sudo apt-get install -y bubblewrap` (or set KERNEL_SANDBOX=off)',
    )
  const started = Date.now()
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  await run('apt-get update', 'apt-get', ['update', '-qq'], { env })
  await run('apt-get install', 'apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'bubblewrap'], { env })
  return `bubblewrap: installed in ${seconds(started)}`
}

function seconds(started) {
  return `${((Date.now() - started) / 1000).toFixed(1)} s`
}

async function main() {
  checkNode()
  const started = Date.now()
  const steps = [npmPackages()]
  const external = (name) => Boolean(process.env[name]?.trim()) && purpose === 'run'
  const venv = external('JUPYTER_URL') ? Promise.resolve() : pythonVenv()
  steps.push(venv)
  if (!external('TEMPORAL_ADDRESS')) steps.push(temporalCli())
  // apt-get holds one lock: the OCR packages are installed after the others, never beside them.
  let apt = Promise.resolve()
  if (purpose === 'test') {
    apt = aptPackages()
    steps.push(apt)
    // A real OpenAI-compatible model server for the assistant's tests: it needs apt's compilers and venv's pip.
    steps.push(Promise.all([apt, venv]).then(() => llamaServerStep({ root: ROOT, log })))
    // Apache Superset (its own venv under .tools/superset) for the Superset connector's end-to-end tests.
    steps.push(import('./bootstrap/superset.mjs').then((m) => m.supersetStep(log)))
  } else if (process.env.AI_EMBEDDED_MODEL?.trim() === 'on' && !process.env.AI_BASE_URL?.trim())
    steps.push(venv.then(() => llamaServerStep({ root: ROOT, log })))
  if (purpose !== 'test' && !external('JUPYTER_URL') && process.env.KERNEL_SANDBOX?.trim() !== 'off') {
    apt = sandboxPackage()
    steps.push(apt)
  }
  steps.push(apt.catch(() => undefined).then(() => ocrPackages({ purpose, run, seconds, BootstrapError })))
  // Each step says it is done as soon as it is, not when the slowest one is.
  const results = await Promise.allSettled(steps.map((step) => step.then((done) => done && log(done))))
  const failures = results.filter((r) => r.status === 'rejected')
  if (failures.length > 0) {
    for (const f of failures)
      console.error(
        `bootstrap: ${f.reason instanceof BootstrapError ? f.reason.message : (f.reason?.stack ?? f.reason)}`,
      )
    process.exit(1)
  }
  log(`ready (${seconds(started)})`)
}

await main()
