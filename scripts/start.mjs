#!/usr/bin/env node
// `npm start`: install what is missing, build the web app if its sources changed, then run the server.
//
// Signals: whichever process a process manager signals (npm, this script or the server), everything stops.
// npm forwards SIGINT/SIGTERM to this script (package.json `exec`s it, so no shell sits in between and swallows
// them); this script passes them to the step running now (bootstrap, web build or server); the server stops its
// children, which also die with it if it is killed outright (PR_SET_PDEATHSIG, see services/supervisor.ts). If
// this script's own parent disappears (npm killed with SIGKILL), it stops the server as if sent SIGTERM.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p))
/** Seconds between "still running" lines of a long step. */
const PROGRESS_SECONDS = Number(process.env.BOOTSTRAP_PROGRESS_SECONDS) || 15

/** The child running now, which a signal to this script is passed on to. */
let current
/** The first signal received: once set, no further step starts. */
let stopSignal

function stop(signal) {
  stopSignal ??= signal
  // The server shuts down cleanly on SIGINT and SIGTERM; a hang-up means the same here.
  if (current && current.exitCode === null && current.signalCode === null)
    current.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal)
  else process.exit(signal === 'SIGINT' ? 130 : 143)
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal))

// A parent that went away without signalling us (SIGKILL) leaves us re-parented: stop as if told to.
const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) stop('SIGTERM')
}, 500).unref()

/**
 * Runs one step with inherited output; resolves with its exit code. With `progress`, says when it starts and,
 * while it runs, every {@link PROGRESS_SECONDS} how long it has been going, so a long first start is never silent.
 */
function run(command, args, { progress, deathSignal } = {}) {
  if (stopSignal) process.exit(stopSignal === 'SIGINT' ? 130 : 143)
  const started = Date.now()
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`
  if (progress) console.error(`start: ${progress}…`)
  const ticker = progress
    ? setInterval(() => console.error(`start: ${progress}: still running (${elapsed()})`), PROGRESS_SECONDS * 1000)
    : undefined
  // The server gets SIGTERM from the kernel should this script die without passing a signal on.
  const [cmd, argv] =
    deathSignal && SETPRIV ? [SETPRIV, ['--pdeathsig', deathSignal, '--', command, ...args]] : [command, args]
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: 'inherit' })
    current = child
    child.on('error', (err) => {
      console.error(`start: cannot run ${command}: ${err.message}`)
      resolve(1)
    })
    child.on('exit', (code, signal) => {
      clearInterval(ticker)
      current = undefined
      if (progress && code === 0) console.error(`start: ${progress}: done in ${elapsed()}`)
      resolve(code ?? (signal === 'SIGINT' ? 130 : signal ? 143 : 1))
    })
  })
}

async function runOrExit(command, args, options) {
  const code = await run(command, args, options)
  if (code !== 0) process.exit(code)
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

await runOrExit(process.execPath, [path.join(ROOT, 'scripts', 'bootstrap.mjs'), '--for=run'])
if (webBuildNeeded())
  await runOrExit('npm', ['run', '--silent', 'build', '-w', 'web'], { progress: 'web app: building' })

// The server handles SIGINT/SIGTERM itself (it prints its URL once ready); we mirror its exit code.
const code = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workbench', 'src', 'main.ts')], {
  deathSignal: 'SIGTERM',
})
process.exit(code)
