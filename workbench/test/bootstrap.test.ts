import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')

describe('bootstrap on a machine without Python and Go', () => {
  const sandbox = mkdtempSync(path.join(os.tmpdir(), 'workbench-bootstrap-'))
  afterAll(() => rmSync(sandbox, { recursive: true, force: true }))

  it('names each missing toolchain on one line and exits non-zero, without a stack trace', () => {
    // A checkout whose npm packages are already installed (stamp matches the lockfile)…
    for (const file of [
      'scripts/bootstrap.mjs',
      'scripts/bootstrap/ocr.mjs',
      'scripts/bootstrap/llama-server.mjs',
      'package-lock.json',
      'python/requirements.lock.txt',
    ]) {
      mkdirSync(path.dirname(path.join(sandbox, file)), { recursive: true })
      copyFileSync(path.join(ROOT, file), path.join(sandbox, file))
    }
    mkdirSync(path.join(sandbox, 'node_modules'))
    const lockHash = createHash('sha256')
      .update(readFileSync(path.join(ROOT, 'package-lock.json')))
      .digest('hex')
    writeFileSync(path.join(sandbox, 'node_modules', '.bootstrap-lock-sha256'), lockHash)
    // …on a PATH that has Node.js and nothing else.
    const bin = path.join(sandbox, 'bin')
    mkdirSync(bin)
    symlinkSync(process.execPath, path.join(bin, 'node'))

    const res = spawnSync(process.execPath, [path.join(sandbox, 'scripts', 'bootstrap.mjs'), '--for=run'], {
      env: { PATH: bin, HOME: sandbox },
      encoding: 'utf8',
    })
    expect(res.status).toBe(1)
    const lines = res.stderr.trim().split('\n')
    expect(lines).toContain(
      'bootstrap: Python 3.10+ with the venv module is required: install python3 and python3-venv',
    )
    expect(lines).toContain(
      'bootstrap: Go 1.22+ is required to build the Temporal CLI: install Go, or set TEMPORAL_ADDRESS to use an existing Temporal server',
    )
    expect(res.stderr).not.toMatch(/\n\s+at /)
  })

  it('says when a step starts and, while it runs, how long it has been going', () => {
    const dir = mkdtempSync(path.join(sandbox, 'progress-'))
    for (const file of [
      'scripts/bootstrap.mjs',
      'scripts/bootstrap/ocr.mjs',
      'scripts/bootstrap/llama-server.mjs',
      'package-lock.json',
      'python/requirements.lock.txt',
    ]) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
      copyFileSync(path.join(ROOT, file), path.join(dir, file))
    }
    // No stamp, so `npm ci` must run: a stand-in that takes 3.5 s, on a PATH with nothing else.
    const bin = path.join(dir, 'bin')
    mkdirSync(bin)
    writeFileSync(
      path.join(bin, 'npm'),
      `#!${process.execPath}\nif (process.argv[2] === '--version') console.log('10.0.0')\nelse setTimeout(() => {}, 3500)\n`,
      { mode: 0o755 },
    )
    mkdirSync(path.join(dir, 'node_modules'))
    const res = spawnSync(process.execPath, [path.join(dir, 'scripts', 'bootstrap.mjs'), '--for=run'], {
      // External Jupyter and Temporal: npm is the only step.
      env: { PATH: bin, HOME: dir, BOOTSTRAP_PROGRESS_SECONDS: '1', JUPYTER_URL: 'http://x', TEMPORAL_ADDRESS: 'x:1' },
      encoding: 'utf8',
    })
    expect(res.status).toBe(0)
    const lines = res.stderr.trim().split('\n')
    expect(lines[0]).toBe('bootstrap: npm ci: started')
    const still = lines.filter((line) => /^bootstrap: npm ci: still running \(\d+ s\)$/.test(line))
    expect(still.length).toBeGreaterThanOrEqual(2)
    expect(lines).toContainEqual(expect.stringMatching(/^bootstrap: npm packages: installed in \d+\.\d s$/))
    expect(lines.at(-1)).toMatch(/^bootstrap: ready \(\d+\.\d s\)$/)
  })
})
