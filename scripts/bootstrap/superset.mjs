// Installs Apache Superset into its own venv (.tools/superset) and prepares a metadata template (SQLite, migrated,
// admin user, roles) that test servers copy. Idempotent: a stamp holds the hash of the pinned requirements and the
// config, so a second run returns at once. Dependency-free, like scripts/bootstrap.mjs.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const SUPERSET_HOME = path.join(ROOT, '.tools', 'superset')
export const SUPERSET_SOURCES = path.join(ROOT, 'python', 'superset')
export const SUPERSET_TEMPLATE_DB = path.join(SUPERSET_HOME, 'metadata-template.db')
export const SUPERSET_ADMIN = { username: 'admin', password: 'admin-password' }
const STAMP = path.join(SUPERSET_HOME, '.bootstrap-sha256')
const FILES = ['requirements.txt', 'constraints.txt', 'superset_config.py']

function stampValue() {
  const hash = createHash('sha256')
  for (const file of FILES) {
    const full = path.join(SUPERSET_SOURCES, file)
    if (existsSync(full)) hash.update(file).update(readFileSync(full))
  }
  return hash.update(JSON.stringify(SUPERSET_ADMIN)).digest('hex')
}

/** The environment every `superset` command (and the test server) runs with. */
export function supersetEnv(metadataDb, extra = {}) {
  return {
    ...process.env,
    SUPERSET_CONFIG_PATH: path.join(SUPERSET_SOURCES, 'superset_config.py'),
    SUPERSET_METADATA_DB: metadataDb,
    FLASK_APP: 'superset',
    PYTHONUNBUFFERED: '1',
    ...extra,
  }
}

function run(label, command, args, env, log) {
  return new Promise((resolve, reject) => {
    log(`${label}: started`)
    // nice: the machine is shared, and pip plus the migrations take minutes of CPU.
    const child = spawn('nice', ['-n', '10', command, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const tail = []
    const onData = (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue
        tail.push(line)
        if (tail.length > 20) tail.shift()
        if (process.env.BOOTSTRAP_VERBOSE) console.error(`[${label}] ${line}`)
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', (err) => reject(new Error(`${label}: cannot run ${command}: ${err.message}`)))
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${label} failed (exit ${code}):\n${tail.join('\n')}`)),
    )
  })
}

export function supersetInstalled() {
  return existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === stampValue() && existsSync(SUPERSET_TEMPLATE_DB)
}

/**
 * The bootstrap step: venv, pinned install, `superset db upgrade`, the admin user, `superset init`; the migrated
 * metadata is kept as a template so each test server starts from a copy in seconds.
 */
export async function supersetStep(log = (m) => console.error(`bootstrap: ${m}`)) {
  if (supersetInstalled()) return 'superset: up to date'
  const started = Date.now()
  mkdirSync(SUPERSET_HOME, { recursive: true })
  const venv = path.join(SUPERSET_HOME, 'venv')
  const bin = (name) => path.join(venv, 'bin', name)
  if (!existsSync(bin('python'))) await run('superset venv', 'python3', ['-m', 'venv', venv], process.env, log)
  const constraints = path.join(SUPERSET_SOURCES, 'constraints.txt')
  const pipArgs = [
    'install',
    '--disable-pip-version-check',
    '-q',
    '-r',
    path.join(SUPERSET_SOURCES, 'requirements.txt'),
  ]
  if (existsSync(constraints)) pipArgs.push('-c', constraints)
  await run('superset pip install', bin('pip'), pipArgs, process.env, log)
  const building = `${SUPERSET_TEMPLATE_DB}.building`
  rmSync(building, { force: true })
  const env = supersetEnv(building)
  await run('superset db upgrade', bin('superset'), ['db', 'upgrade'], env, log)
  const admin = ['fab', 'create-admin', '--username', SUPERSET_ADMIN.username, '--password', SUPERSET_ADMIN.password]
  await run(
    'superset admin',
    bin('superset'),
    [...admin, '--firstname', 'Work', '--lastname', 'Bench', '--email', 'admin@example.test'],
    env,
    log,
  )
  await run('superset init', bin('superset'), ['init'], env, log)
  copyFileSync(building, SUPERSET_TEMPLATE_DB)
  rmSync(building, { force: true })
  writeFileSync(STAMP, stampValue())
  return `superset: installed in ${((Date.now() - started) / 1000).toFixed(1)} s`
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  supersetStep().then(
    (done) => console.error(`bootstrap: ${done}`),
    (err) => {
      console.error(`bootstrap: ${err.message}`)
      process.exit(1)
    },
  )
}
