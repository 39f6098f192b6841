import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Output, outputSize } from '../src/index.ts'
import { JupyterKernel, STDIN_NOT_SUPPORTED } from '../src/jupyter/index.ts'
import { startJupyterServer, type TestJupyterServer } from './support/jupyter-server.ts'
import { errorsOf, run, statusReached, textOf } from './support/outputs.ts'

let jupyter: TestJupyterServer
let kernel: JupyterKernel

beforeAll(async () => {
  jupyter = await startJupyterServer()
  kernel = await JupyterKernel.start({
    baseUrl: jupyter.baseUrl,
    token: jupyter.token,
    limits: { maxCellOutputBytes: 64 * 1024 },
  })
})

afterAll(async () => {
  await kernel?.shutdown()
  await jupyter?.stop()
})

describe('Python kernel completion and inspection', () => {
  it('completes names the cells defined and attributes of modules (complete_request)', async () => {
    await run(kernel, 'import math\nanswer_value = 41\nnaïve_ünïcode = 1')
    const names = await kernel.complete('answer_va', 9)
    expect(names.matches).toContain('answer_value')
    expect([names.cursorStart, names.cursorEnd]).toEqual([0, 9])
    const code = 'x = answer_value + math.facto'
    const attrs = await kernel.complete(code, code.length)
    expect(attrs.matches.some((m) => m.endsWith('factorial'))).toBe(true)
    expect(code.slice(attrs.cursorStart, attrs.cursorEnd)).toMatch(/facto$/)
    // Cursor positions are UTF-16 offsets here, code points in the protocol: after a non-BMP character they differ.
    const emoji = "s = '😀'; naïve_ün"
    const after = await kernel.complete(emoji, emoji.length)
    expect(after.matches).toContain('naïve_ünïcode')
    expect(emoji.slice(after.cursorStart, after.cursorEnd)).toBe('naïve_ün')
  })

  it('documents the name at the cursor (inspect_request), and finds nothing for an unknown name', async () => {
    const found = await kernel.inspect('math.factorial', 'math.factorial'.length)
    expect(found.found).toBe(true)
    expect(found.text).toMatch(/factorial/)
    expect(await kernel.inspect('no_such_name_here', 5)).toEqual({ found: false })
  })
})

describe('Python kernel', () => {
  it('streams outputs while the cell is still running', async () => {
    const iterator = kernel
      .execute("import time\nprint('first', flush=True)\ntime.sleep(30)\nprint('never')")
      [Symbol.asyncIterator]()
    const first = await iterator.next()
    expect(first.value).toMatchObject({ output_type: 'stream', name: 'stdout', text: 'first\n' })
    // The cell is still sleeping: interrupt it to finish.
    expect(kernel.status).toBe('busy')
    await kernel.interrupt()
    const rest: Output[] = []
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(next.value)
    expect(errorsOf(rest)[0]?.ename).toBe('KeyboardInterrupt')
  })

  it('returns rich outputs as mime bundles with the execution count given', async () => {
    const outputs: Output[] = []
    for await (const o of kernel.execute(
      "from IPython.display import HTML, display\ndisplay(HTML('<b>hi</b>'))\n{'a': 1}",
      { executionCount: 7 },
    ))
      outputs.push(o)
    expect(outputs[0]).toMatchObject({ output_type: 'display_data', data: { 'text/html': '<b>hi</b>' } })
    expect(outputs[1]).toMatchObject({
      output_type: 'execute_result',
      execution_count: 7,
      data: { 'text/plain': "{'a': 1}" },
    })
  })

  it('answers input() with a clear stdin error instead of hanging', async () => {
    const [error] = errorsOf(await run(kernel, "name = input('Your name? ')"))
    expect(error?.ename).toBe('StdinNotImplementedError')
    expect(error?.evalue).toBe(STDIN_NOT_SUPPORTED)
    expect(textOf(await run(kernel, 'print(40 + 2)'))).toContain('42')
  })

  it('a kernel dying mid-cell gives an error output and status dead; restart recovers', async () => {
    await run(kernel, 'x = 1')
    const outputs = await run(kernel, "import os\nprint('about to die', flush=True)\nos._exit(1)")
    expect(errorsOf(outputs)[0]?.ename).toBe('KernelDied')
    expect(kernel.status).toBe('dead')
    expect(errorsOf(await run(kernel, 'print(1)'))[0]?.ename).toBe('KernelDead')
    await kernel.restart()
    expect(kernel.status).toBe('idle')
    expect(textOf(await run(kernel, "print(globals().get('x', 'gone'))"))).toContain('gone')
  })

  it('truncates a cell printing millions of lines, with a visible notice, and memory stays bounded', async () => {
    const before = process.memoryUsage().rss
    // 3 million lines in 150 writes (one IOPub message per print: per-line prints are Jupyter-bound, ~25k/s).
    const outputs = await run(kernel, "for i in range(150):\n    print('\\n'.join(f'line {j}' for j in range(20_000)))")
    const text = textOf(outputs)
    expect(text).toMatch(/Output truncated: this cell produced more than 64 KB of output/)
    const total = outputs.reduce((n, o) => n + outputSize(o), 0)
    expect(total).toBeLessThan(64 * 1024 + 1024)
    // ~35 MB of text went through; the server keeps 64 KB of it. Allow generous slack for GC timing.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024)
    expect(textOf(await run(kernel, 'print(40 + 2)'))).toContain('42')
  })

  it("delivers every byte of a fast 8 MB print loop: Jupyter's IOPub rate limit is off, our budget applies", async () => {
    const roomy = await JupyterKernel.start({
      baseUrl: jupyter.baseUrl,
      token: jupyter.token,
      limits: { maxCellOutputBytes: 32 * 1024 * 1024 },
    })
    try {
      // 8 MB in well under a second: far above Jupyter's default 1 MB/s, which would drop output with a notice.
      const outputs = await run(roomy, "for i in range(80):\n    print('x' * 99_999, flush=True)")
      const text = textOf(outputs)
      expect(text).not.toMatch(/IOPub data rate exceeded/)
      expect(text.match(/x/g)?.length).toBe(80 * 99_999)
    } finally {
      await roomy.shutdown()
    }
  })

  it('replaces a huge HTML output by the notice', async () => {
    const outputs = await run(
      kernel,
      "from IPython.display import HTML, display\ndisplay(HTML('<p>' + 'x' * 500_000 + '</p>'))",
    )
    expect(outputs.some((o) => o.output_type === 'display_data')).toBe(false)
    expect(textOf(outputs)).toMatch(/Output truncated/)
  })

  it('reports busy then idle around a cell', async () => {
    const running = run(kernel, 'import time; time.sleep(0.2)')
    await statusReached(kernel, 'busy')
    await running
    expect(kernel.status).toBe('idle')
  })
})
