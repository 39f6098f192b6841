import { readdirSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { type Benchmark, formatResult } from './harness.ts'

/**
 * `npm run bench -- <name>`: `<area>/<bench>` runs one benchmark (bench/<area>/<bench>.ts), `<area>`
 * runs every benchmark of an area, no name lists them.
 */
const BENCH_DIR = import.meta.dirname

function available(): string[] {
  return readdirSync(BENCH_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'results')
    .flatMap((area) =>
      readdirSync(path.join(BENCH_DIR, area.name))
        .filter((file) => file.endsWith('.bench.ts'))
        .map((file) => `${area.name}/${file.slice(0, -'.bench.ts'.length)}`),
    )
    .sort()
}

const requested = process.argv[2]
const all = available()
if (!requested) {
  console.log(`benchmarks:\n${all.map((n) => `  ${n}`).join('\n')}\nrun one with: npm run bench -- <name>`)
  process.exit(0)
}
const selected = all.filter((name) => name === requested || name.startsWith(`${requested}/`))
if (selected.length === 0) {
  console.error(`no benchmark named ${requested}; available: ${all.join(', ')}`)
  process.exit(2)
}
for (const name of selected) {
  const module = (await import(pathToFileURL(path.join(BENCH_DIR, `${name}.bench.ts`)).href)) as { default: Benchmark }
  for (const result of await module.default()) console.log(formatResult(result))
}
