import { randomBytes } from 'node:crypto'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../../orchestrator/test/support/pipeline-env.ts'
import { loadConfig } from '../../src/config.ts'
import { startJupyter } from '../../src/services/jupyter-server.ts'
import { StartupError } from '../../src/services/startup-error.ts'
import { header, workspaceCaller } from '../pipelines/support.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { startTestWorkbench, type TestWorkbench } from '../support/workbench.ts'

/**
 * Escape suite for Python kernels (issue 14, finding 1): from a WS1 cell, a WS1 `python` step and a WS1
 * `notebook` step, try to read every file of the data folder outside WS1, the environment, other kernels'
 * connection files, Jupyter's API and every listening TCP port of the machine. The targets are enumerated
 * here, on the test side, and handed to the probe in a file inside WS1's folder.
 */
const PROBE = `
import json, os, socket, sys
targets = json.load(open(TARGETS))
report = {"tried_files": 0, "read": [], "tried_ports": 0, "connected": [], "http": None}
for p in targets["files"]:
    report["tried_files"] += 1
    try:
        if os.path.isdir(p):
            os.listdir(p)
        else:
            with open(p, "rb") as f:
                f.read(64)
        report["read"].append(p)
    except OSError:
        pass
for host, port in targets["ports"]:
    report["tried_ports"] += 1
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(0.3)
    try:
        s.connect((host, port))
        report["connected"].append([host, port])
    except OSError:
        pass
    finally:
        s.close()
try:
    import urllib.request
    report["http"] = urllib.request.urlopen(targets["jupyter"] + "/api/kernels", timeout=1).status
except Exception as e:
    report["http"] = type(e).__name__
report["environ"] = dict(os.environ)
try:
    report["proc1"] = open("/proc/1/environ", "rb").read().decode("utf8", "replace")
except OSError as e:
    report["proc1"] = type(e).__name__
others = []
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            others.append(open(f"/proc/{pid}/environ", "rb").read().decode("utf8", "replace"))
        except OSError:
            pass
report["procs_environ"] = others
with open(REPORT, "w") as f:
    json.dump(report, f)
print("probe done", report["tried_files"], report["tried_ports"])
`

interface Report {
  tried_files: number
  read: string[]
  tried_ports: number
  connected: [string, number][]
  http: string | number | null
  environ: Record<string, string>
  proc1: string
  procs_environ: string[]
}

/** Listening TCP sockets of the machine, from /proc/net/tcp{,6}: [address to try, port]. */
function listeningPorts(): [string, number][] {
  const targets = new Set<string>()
  const hostAddresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal)
    .map((a) => a?.address ?? '')
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ] as const) {
    if (!existsSync(file)) continue
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols[3] !== '0A') continue // LISTEN
      const port = Number.parseInt(cols[1]?.split(':')[1] ?? '', 16)
      for (const host of [v6 ? '::1' : '127.0.0.1', ...hostAddresses]) targets.add(JSON.stringify([host, port]))
    }
  }
  return [...targets].map((t) => JSON.parse(t) as [string, number])
}

/** Every file and folder under `root`, except the `skip` subtree (WS1's own folder). */
function walk(root: string, skip: string): string[] {
  const out: string[] = []
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name)
      if (p === skip) continue
      // Folders on the way to WS1's own folder are its mount point's parents: they exist in any view.
      if (!skip.startsWith(`${p}/`)) out.push(p)
      const st = lstatSync(p)
      if (st.isDirectory()) visit(p)
    }
  }
  visit(root)
  return out
}

const ADMIN = { email: 'admin@example.test', password: 'a long enough password' }

describe.each(DATABASE_KINDS)('kernel sandbox escapes (%s metadata DB)', (kind) => {
  let wb: TestWorkbench
  let database: TestDatabase | undefined
  let ws1: string
  let ws2: string
  let api1: ReturnType<typeof workspaceCaller>
  let api2: ReturnType<typeof workspaceCaller>
  let ws1Dir: string
  let ws2Dir: string
  let session1: string
  let session2: string
  const ws2Secret = `ws2-secret-${randomBytes(8).toString('hex')}`
  const exec = async (api: typeof api1, session: string, code: string) => {
    const res = await api('POST', `/kernels/sessions/${session}/execute`, { language: 'python', code })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body.outputs as { output_type: string; text?: string; ename?: string; evalue?: string }[]
  }

  beforeAll(async () => {
    database = kind === 'postgres' ? await createTestDatabase('postgres') : undefined
    // No AUTH_JWT_SECRET: the server generates its signing key into the data folder, as embedded mode does.
    wb = await startTestWorkbench({
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      KERNEL_MEMORY_LIMIT_BYTES: String(1536 * 1024 ** 2),
      KERNEL_MAX_PROCESSES: '200',
      ...(database?.url ? { DATABASE_URL: database.url } : {}),
    })
    const login = await wb.app.request('/api/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    })
    const token = ((await login.json()) as { accessToken: string }).accessToken
    const workspace = async (name: string) => {
      const res = await wb.app.request('/api/workspaces', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ name }),
      })
      return ((await res.json()) as { id: string }).id
    }
    ws1 = await workspace('ws1')
    ws2 = await workspace('ws2')
    api1 = workspaceCaller(wb.app, ws1, token)
    api2 = workspaceCaller(wb.app, ws2, token)
    ws1Dir = path.join(wb.dataDir, 'workspaces', ws1, 'data')
    ws2Dir = path.join(wb.dataDir, 'workspaces', ws2, 'data')
    const notebook1 = (await api1('POST', '/notebooks', { name: 'n1' })).body.id
    const notebook2 = (await api2('POST', '/notebooks', { name: 'n2' })).body.id
    session1 = (await api1('POST', '/kernels/sessions', { notebookId: notebook1 })).body.id
    session2 = (await api2('POST', '/kernels/sessions', { notebookId: notebook2 })).body.id
    // WS2 has data of its own and a running kernel (its connection file exists while WS1 probes).
    mkdirSync(ws1Dir, { recursive: true })
    mkdirSync(ws2Dir, { recursive: true })
    writeFileSync(path.join(ws2Dir, 'theirs.txt'), ws2Secret)
    await exec(api2, session2, '1')
    await exec(api1, session1, '1')
  }, 180_000)
  afterAll(async () => {
    await wb?.dispose()
    await database?.dispose()
  })

  /** Writes the probe and its targets into WS1's folder; `run` executes `code` in WS1 somehow. */
  async function probe(tag: string, run: (code: string) => Promise<void>): Promise<Report> {
    const files = [
      ...walk(wb.dataDir, ws1Dir),
      // Connection files and sockets of other kernels (WS2's is running), wherever Jupyter keeps them.
      ...readdirSync(os.tmpdir())
        .filter((n) => n.startsWith('wbk-') && lstatSync(path.join(os.tmpdir(), n)).uid !== lstatSync(ws1Dir).uid)
        .flatMap((n) => [path.join(os.tmpdir(), n), path.join(os.tmpdir(), n, 'connection.json')]),
      '/etc/shadow',
    ]
    expect(files.some((f) => f.endsWith('master.key'))).toBe(true)
    expect(files.some((f) => f.endsWith('jwt-signing.key'))).toBe(true)
    if (kind === 'pglite') expect(files.some((f) => f.includes(`${path.sep}metadata${path.sep}`))).toBe(true)
    expect(files).toContain(path.join(ws2Dir, 'theirs.txt'))
    const ports = listeningPorts()
    const jupyterPort = Number(new URL(wb.jupyter.endpoint.baseUrl).port)
    expect(ports.map(([, p]) => p)).toContain(jupyterPort)
    expect(ports.map(([, p]) => p)).toContain(Number(new URL(wb.url).port))
    const targetsFile = path.join(ws1Dir, `targets-${tag}.json`)
    const reportFile = path.join(ws1Dir, `report-${tag}.json`)
    writeFileSync(targetsFile, JSON.stringify({ files, ports, jupyter: wb.jupyter.endpoint.baseUrl }))
    writeFileSync(path.join(ws1Dir, 'probe.py'), PROBE)
    await run(
      `TARGETS = ${JSON.stringify(targetsFile)}\nREPORT = ${JSON.stringify(reportFile)}\nexec(open(${JSON.stringify(path.join(ws1Dir, 'probe.py'))}).read())`,
    )
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report
    expect(report.tried_files).toBe(files.length)
    expect(report.tried_ports).toBe(ports.length)
    return report
  }

  function expectContained(report: Report) {
    expect(report.read).toEqual([])
    expect(report.connected).toEqual([])
    expect(report.http).not.toBe(200)
    const secrets = [wb.jupyter.endpoint.token, ws2Secret]
    for (const key of ['master.key', 'jwt-signing.key'])
      secrets.push(readFileSync(path.join(wb.dataDir, 'secrets', key), 'utf8').trim())
    const seen = JSON.stringify([report.environ, report.proc1, report.procs_environ])
    for (const secret of secrets) expect(seen.includes(secret), 'a server secret in the kernel environment').toBe(false)
    expect(Object.keys(report.environ).filter((k) => /TOKEN|SECRET|KEY|PASSWORD|DATABASE/i.test(k))).toEqual([])
  }

  it('a notebook cell in WS1 reads nothing outside WS1 and reaches no port, no secret', async () => {
    const report = await probe('cell', async (code) => {
      const outputs = await exec(api1, session1, code)
      expect(outputs.find((o) => o.output_type === 'error')).toBeUndefined()
    })
    expectContained(report)
  }, 120_000)

  async function runPipeline(yaml: string): Promise<any> {
    const created = await api1('POST', '/pipelines', { yaml })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await api1('POST', `/pipelines/${created.body.id}/runs`, {})
    expect(started.status).toBe(201)
    let detail: any
    await waitFor(
      async () => {
        detail = (await api1('GET', `/pipeline-runs/${started.body.id}`)).body
        return ['succeeded', 'failed'].includes(detail.status)
      },
      'the run to finish',
      120_000,
    )
    return detail
  }

  it('a python step of a WS1 pipeline reads nothing outside WS1 and reaches no port, no secret', async () => {
    const report = await probe('python-step', async (code) => {
      const yaml = `${header('escape-python')}steps:\n  - id: probe\n    type: python\n    with:\n      code: ${JSON.stringify(code)}\n`
      const detail = await runPipeline(yaml)
      expect(detail.status, JSON.stringify(detail)).toBe('succeeded')
    })
    expectContained(report)
  }, 180_000)

  it('a notebook step of a WS1 pipeline reads nothing outside WS1 and reaches no port, no secret', async () => {
    const report = await probe('notebook-step', async (code) => {
      const notebook = {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
        cells: [{ id: 'probe', cell_type: 'code', source: code, metadata: {}, outputs: [], execution_count: null }],
      }
      const imported = await api1('POST', '/notebooks/import?name=escape', JSON.stringify(notebook))
      expect(imported.status, JSON.stringify(imported.body)).toBe(201)
      const yaml = `${header('escape-notebook')}steps:\n  - { id: probe, type: notebook, with: { notebook: '${imported.body.id}' } }\n`
      const detail = await runPipeline(yaml)
      expect(detail.status, JSON.stringify(detail)).toBe('succeeded')
    })
    expectContained(report)
  }, 180_000)

  it("links planted from WS1's Python to foreign files are not followed by WS1's SQL (nor can hard links be made)", async () => {
    const targets = [path.join(ws2Dir, 'theirs.txt'), path.join(wb.dataDir, 'secrets', 'master.key')]
    const plant = [
      'import os',
      'made = []',
      `for i, target in enumerate(${JSON.stringify(targets)}):`,
      '    for kind, link in (("sym", os.symlink), ("hard", os.link)):',
      `        name = os.path.join(${JSON.stringify(ws1Dir)}, f"planted-{kind}-{i}.csv")`,
      '        try:',
      '            link(target, name)',
      '            made.append(name)',
      '        except OSError:',
      '            pass',
      'print(len(made))',
    ].join('\n')
    await exec(api1, session1, plant)
    for (let i = 0; i < targets.length; i++) {
      for (const kind of ['sym', 'hard']) {
        const file = path.join(ws1Dir, `planted-${kind}-${i}.csv`)
        const res = await api1('POST', `/kernels/sessions/${session1}/execute`, {
          language: 'sql',
          code: `SELECT * FROM read_csv('${file}', header = false, all_varchar = true)`,
        })
        const text = JSON.stringify(res.body)
        expect(text.includes(ws2Secret), `${kind} link to ${targets[i]}`).toBe(false)
        expect(res.body.outputs[0]?.output_type, `${kind} link to ${targets[i]}: ${text}`).toBe('error')
      }
    }
  }, 120_000)

  it('SQL and pandas still hand data over both ways inside the sandbox (Parquet in the workspace .exchange)', async () => {
    const sql = (code: string, bindTo?: string) =>
      api1('POST', `/kernels/sessions/${session1}/execute`, { language: 'sql', code, ...(bindTo ? { bindTo } : {}) })
    expect((await sql('SELECT 42 AS a', 'handed')).status).toBe(200)
    expect(await exec(api1, session1, 'print(int(handed.a[0]))')).toEqual([expect.objectContaining({ text: '42\n' })])
    expect(await exec(api1, session1, 'import pandas as pd\nback = pd.DataFrame({"b": [7, 8]})')).toEqual([])
    const res = await sql('SELECT sum(b) AS s FROM back')
    expect(JSON.stringify(res.body.outputs), JSON.stringify(res.body)).toContain('15')
  }, 120_000)

  it('a fork bomb in WS1 fails inside its kernel while WS2 keeps working', async () => {
    const code = [
      'import os, time',
      'children = 0',
      'for _ in range(600):',
      '    pid = os.fork()',
      '    if pid == 0:',
      '        time.sleep(120)',
      '        os._exit(0)',
      '    children += 1',
    ].join('\n')
    const outputs = await exec(api1, session1, code)
    expect(outputs.find((o) => o.output_type === 'error')).toMatchObject({ ename: 'BlockingIOError' })
    expect(await exec(api2, session2, 'print(6 * 7)')).toEqual([expect.objectContaining({ text: '42\n' })])
    // Restarting the kernel ends the whole sandbox, children included; WS1 runs again.
    expect((await api1('POST', `/kernels/sessions/${session1}/restart`, {})).status).toBeLessThan(300)
    expect(await exec(api1, session1, 'print("back")')).toEqual([expect.objectContaining({ text: 'back\n' })])
  }, 120_000)

  it('a memory hog in WS1 gets a MemoryError while WS2 keeps working', async () => {
    const code = ['hog = []', 'for _ in range(12):', '    hog.append(bytearray(256 * 1024 * 1024))'].join('\n')
    const outputs = await exec(api1, session1, code)
    expect(outputs.find((o) => o.output_type === 'error')).toMatchObject({ ename: 'MemoryError' })
    expect(await exec(api1, session1, 'del hog; print("freed")')).toEqual([
      expect.objectContaining({ text: 'freed\n' }),
    ])
    expect(await exec(api2, session2, 'print(6 * 7)')).toEqual([expect.objectContaining({ text: '42\n' })])
  }, 120_000)

  it("the analyst's stack imports in the sandbox; matplotlib draws inline PNGs with its cache in the workspace", async () => {
    const imports = await exec(
      api1,
      session1,
      'import numpy, pandas, pyarrow, scipy, seaborn, openpyxl, requests, matplotlib\nprint(matplotlib.get_configdir())',
    )
    expect(imports.filter((o) => o.output_type === 'error')).toEqual([])
    expect(imports.map((o) => o.text).join('')).toContain(path.join(ws1Dir, '.python', 'matplotlib'))
    const plot = (await exec(
      api1,
      session1,
      'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.title("inline")\nplt.show()',
    )) as { output_type: string; data?: Record<string, string> }[]
    const image = plot.find((o) => o.output_type === 'display_data' && o.data?.['image/png'])
    expect(image, JSON.stringify(plot).slice(0, 500)).toBeDefined()
    // A real PNG, base64: the signature \x89PNG.
    expect(
      Buffer.from(image?.data?.['image/png'] ?? '', 'base64')
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG')
  }, 120_000)

  it("%pip install in WS1 goes to WS1's own layer: importable in WS1, not in WS2, the shared venv untouched", async () => {
    const wheel = path.join(ws1Dir, 'wbsandboxprobe-0.1-py3-none-any.whl')
    // A wheel built offline, in the kernel: a package, its metadata and RECORD.
    const build = [
      'import zipfile',
      `with zipfile.ZipFile(${JSON.stringify(wheel)}, "w") as z:`,
      '    z.writestr("wbsandboxprobe/__init__.py", "VALUE = 42\\n")',
      '    z.writestr("wbsandboxprobe-0.1.dist-info/METADATA", "Metadata-Version: 2.1\\nName: wbsandboxprobe\\nVersion: 0.1\\n")',
      '    z.writestr("wbsandboxprobe-0.1.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")',
      '    z.writestr("wbsandboxprobe-0.1.dist-info/RECORD", "")',
    ].join('\n')
    expect(await exec(api1, session1, build)).toEqual([])
    const install = await exec(api1, session1, `%pip install --no-index ${wheel}`)
    expect(JSON.stringify(install)).toContain('Successfully installed wbsandboxprobe-0.1')
    // The cell output says where it went (not the shared environment a Jupyter user would expect).
    expect(JSON.stringify(install)).toContain(
      `pip installs into this workspace's own environment (${path.join(ws1Dir, '.python', 'venv')})`,
    )
    expect(
      await exec(api1, session1, 'import wbsandboxprobe; print(wbsandboxprobe.VALUE, wbsandboxprobe.__file__)'),
    ).toEqual([
      expect.objectContaining({ text: expect.stringContaining(`42 ${path.join(ws1Dir, '.python', 'venv', 'lib')}`) }),
    ])
    const other = await exec(api2, session2, 'import wbsandboxprobe')
    expect(other.find((o) => o.output_type === 'error')).toMatchObject({ ename: 'ModuleNotFoundError' })
    const shared = path.join(wb.config.jupyter.kind === 'embedded' ? wb.config.jupyter.venv : '', 'lib')
    const sharedSite = readdirSync(shared).map((v) => path.join(shared, v, 'site-packages'))
    for (const site of sharedSite) expect(existsSync(path.join(site, 'wbsandboxprobe'))).toBe(false)
  }, 120_000)
})

describe('kernel sandbox start-up', () => {
  it('refuses to start the embedded Jupyter with one line when bubblewrap is missing, unless KERNEL_SANDBOX=off', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'workbench-sandbox-'))
    const saved = process.env.PATH
    try {
      const { jupyter } = loadConfig({ DATA_DIR: dataDir }, path.resolve(import.meta.dirname, '../../..'))
      expect(jupyter).toMatchObject({ kind: 'embedded', sandbox: { kind: 'bwrap' } })
      process.env.PATH = '/nonexistent'
      const refused = await startJupyter(jupyter, pino({ level: 'silent' })).then(
        () => undefined,
        (err: unknown) => err,
      )
      expect(refused).toBeInstanceOf(StartupError)
      expect(String((refused as Error).message)).toMatch(
        /^KERNEL_SANDBOX=bwrap: bubblewrap \(bwrap\) is not installed.*KERNEL_SANDBOX=off/,
      )
      expect(String((refused as Error).message)).not.toContain('\n')
    } finally {
      process.env.PATH = saved
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
