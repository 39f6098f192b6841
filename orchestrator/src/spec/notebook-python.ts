// Best-effort reads and writes of a Python cell, and the papermill `parameters` cell, for the notebook ->
// pipeline compiler. Pure text scanning, no Python parser: it is conservative (a name that merely looks
// read counts as read) and has known blind spots, listed in docs/pipelines-from-notebooks.md. Cells can
// always declare what they read and write in metadata (`workbench.reads` / `workbench.writes`).

import type { ParamSpec } from './schema.ts'

/** Names a Python cell reads before assigning them, and names it assigns at module level. */
export interface PythonNames {
  reads: string[]
  writes: string[]
}

const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case print len range str int float bool list dict set tuple type isinstance enumerate zip sorted min max sum abs any all open self'.split(
    ' ',
  ),
)

/**
 * Replaces string literals (including triple-quoted and f-strings) and comments with spaces, keeping
 * line breaks so line structure survives. Names inside f-string braces are lost (a documented limit).
 */
export function blankStringsAndComments(code: string): string {
  let out = ''
  let i = 0
  while (i < code.length) {
    const c = code[i] as string
    if (c === '#') {
      while (i < code.length && code[i] !== '\n') {
        out += ' '
        i++
      }
      continue
    }
    if (c === "'" || c === '"') {
      // String prefixes (f, r, b, rb…) are not names.
      const prefix = /(?<!\w)[rRbBfFuU]{1,2}$/.exec(out)
      if (prefix) out = out.slice(0, prefix.index) + ' '.repeat(prefix[0].length)
      const triple = code.startsWith(c.repeat(3), i)
      const quote = triple ? c.repeat(3) : c
      out += ' '.repeat(quote.length)
      i += quote.length
      while (i < code.length && !code.startsWith(quote, i)) {
        if (code[i] === '\\') {
          out += '  '
          i += 2
          continue
        }
        if (!triple && code[i] === '\n') break
        out += code[i] === '\n' ? '\n' : ' '
        i++
      }
      out += ' '.repeat(Math.min(quote.length, code.length - i))
      i += quote.length
      continue
    }
    out += c
    i++
  }
  return out
}

/** Logical lines: continued brackets and trailing backslashes joined; each with its indentation. */
function logicalLines(code: string): { indent: number; text: string }[] {
  const lines: { indent: number; text: string }[] = []
  let current: { indent: number; text: string } | undefined
  let depth = 0
  for (const raw of code.split('\n')) {
    if (current === undefined) {
      if (raw.trim() === '') continue
      current = { indent: raw.length - raw.trimStart().length, text: '' }
    }
    current.text += ` ${raw.trim()}`
    for (const ch of raw) {
      if ('([{'.includes(ch)) depth++
      else if (')]}'.includes(ch)) depth = Math.max(0, depth - 1)
    }
    if (depth > 0 || raw.trimEnd().endsWith('\\')) continue
    current.text = current.text.replace(/\\\s/g, ' ').trim()
    lines.push(current)
    current = undefined
  }
  if (current) lines.push({ ...current, text: current.text.trim() })
  return lines
}

const IDENTIFIER = /(?<![\w.])[A-Za-z_]\w*/g
const targetNames = (text: string) => [...text.matchAll(/[A-Za-z_]\w*/g)].map((m) => m[0])

/** Names used in an expression: identifiers not after a dot, not keywords, not keyword arguments. */
function usedNames(expression: string): string[] {
  const names: string[] = []
  for (const match of expression.matchAll(IDENTIFIER)) {
    const after = expression.slice((match.index ?? 0) + match[0].length)
    if (/^\s*=(?!=)/.test(after)) continue
    if (!KEYWORDS.has(match[0])) names.push(match[0])
  }
  return names
}

/**
 * Scans a Python cell. Module-level assignments (`a = …`, `a, b = …`, `a += …`, `for a in`, `with … as a`,
 * `import a`, `from m import a as b`, `def a`, `class A`) are writes; `df['x'] = …`, `df.x = …` and
 * `del a` both read and write `a`. Names used before the cell assigns them are reads. Bodies of `def`
 * and `class` count as reads only; lines starting with `%` or `!` (magics, shell) are skipped.
 */
export function scanPython(code: string): PythonNames {
  const reads = new Set<string>()
  const writes = new Set<string>()
  const read = (names: string[]) => {
    for (const name of names) if (!writes.has(name)) reads.add(name)
  }
  const local = new Set<string>()
  let bodyIndent: number | undefined
  for (const { indent, text } of logicalLines(blankStringsAndComments(code))) {
    if (bodyIndent !== undefined && indent > bodyIndent) {
      // Inside a function or class: names it uses may come from the module, its own are local.
      const assigned = /^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=(?!=)/.exec(text)
      if (assigned) for (const name of targetNames(assigned[1] as string)) local.add(name)
      read(usedNames(text).filter((name) => !local.has(name)))
      continue
    }
    bodyIndent = undefined
    if (/^[%!]/.test(text)) continue
    for (const comprehension of text.matchAll(/\bfor\s+([\w\s,()]+?)\s+in\b/g))
      for (const name of targetNames(comprehension[1] as string)) local.add(name)
    for (const lambda of text.matchAll(/\blambda\s+([^:]*):/g))
      for (const name of targetNames(lambda[1] as string)) local.add(name)
    const definition = /^(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)\s*(\([^)]*\))?/.exec(text)
    if (definition) {
      bodyIndent = indent
      local.clear()
      if (definition[1] === 'def' && definition[3])
        for (const param of definition[3].slice(1, -1).split(','))
          local.add(
            param
              .replace(/[=:][\s\S]*$/, '')
              .replace(/^\*+/, '')
              .trim(),
          )
      writes.add(definition[2] as string)
      continue
    }
    const imported = /^import\s+(.+)$/.exec(text)
    if (imported) {
      for (const part of (imported[1] as string).split(',')) {
        const alias = /\bas\s+([A-Za-z_]\w*)/.exec(part)
        writes.add(alias ? (alias[1] as string) : (part.trim().split('.')[0] as string))
      }
      continue
    }
    const fromImport = /^from\s+\S+\s+import\s+\(?([^)]*)\)?$/.exec(text)
    if (fromImport) {
      for (const part of (fromImport[1] as string).split(',')) {
        const [name, alias] = part.trim().split(/\s+as\s+/)
        if (name && name !== '*') writes.add((alias ?? name).trim())
      }
      continue
    }
    const forLoop = /^(?:async\s+)?for\s+(.+?)\s+in\s+(.+):/.exec(text)
    if (forLoop) {
      read(usedNames(forLoop[2] as string))
      for (const name of targetNames(forLoop[1] as string)) writes.add(name)
      continue
    }
    const withAs = /^(?:async\s+)?with\s+(.+):/.exec(text)
    if (withAs) {
      const items = withAs[1] as string
      read(usedNames(items.replace(/\bas\s+[A-Za-z_]\w*/g, '')))
      for (const alias of items.matchAll(/\bas\s+([A-Za-z_]\w*)/g)) writes.add(alias[1] as string)
      continue
    }
    const deletion = /^del\s+(.+)$/.exec(text)
    if (deletion) {
      for (const name of targetNames(deletion[1] as string).slice(0, 1)) {
        read([name])
        writes.add(name)
      }
      continue
    }
    // Assignments: `a = b = expr`, `a, b = expr`, `a: int = expr`, `a += expr`, `df['x'] = expr`, `df.x = expr`.
    const parts = splitAssignment(text)
    if (parts) {
      read(usedNames(parts.value).filter((name) => !local.has(name)))
      for (const target of parts.targets) {
        const mutated = /^([A-Za-z_]\w*)\s*[.[]/.exec(target)
        if (mutated) {
          read([mutated[1] as string, ...usedNames(target.slice(mutated[0].length - 1))])
          writes.add(mutated[1] as string)
          continue
        }
        const names = targetNames(target.replace(/:[^=]*$/, ''))
        if (parts.augmented) read(names)
        for (const name of names) writes.add(name)
      }
      continue
    }
    read(usedNames(text).filter((name) => !local.has(name)))
  }
  return { reads: [...reads], writes: [...writes] }
}

/** Splits `t1 = t2 = value` (or `t op= value`) at top-level `=`, or undefined when it is not an assignment. */
function splitAssignment(text: string): { targets: string[]; value: string; augmented: boolean } | undefined {
  const pieces: string[] = []
  let depth = 0
  let start = 0
  let augmented = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if ('([{'.includes(ch)) depth++
    else if (')]}'.includes(ch)) depth--
    else if (ch === '=' && depth === 0) {
      const before = text[i - 1] ?? ''
      const after = text[i + 1] ?? ''
      if (after === '=' || '=!<>'.includes(before)) {
        if (after === '=') i++
        continue
      }
      if ('+-*/%&|^@'.includes(before) || (/[*/<>]/.test(before) && /[*/<>]/.test(text[i - 2] ?? ''))) {
        augmented = true
        pieces.push(text.slice(start, i).replace(/(\*\*|\/\/|>>|<<|[-+*/%&|^@])$/, ''))
      } else pieces.push(text.slice(start, i))
      start = i + 1
    }
  }
  if (pieces.length === 0) return undefined
  const targets = pieces.map((piece) => piece.trim())
  if (targets.some((target) => !/^[A-Za-z_([]/.test(target) || /^(if|elif|while|return|assert)\b/.test(target)))
    return undefined
  return { targets, value: text.slice(start), augmented }
}

/** A parameter of the papermill `parameters` cell. */
export interface NotebookParam {
  name: string
  spec: ParamSpec
}

/**
 * Parameters from a papermill `parameters` cell: `name = literal` lines (int, float, str, bool, None),
 * typed from their default (a `YYYY-MM-DD` string is a date, an ISO date-time a datetime; `None` makes a
 * required string). A trailing `# comment` becomes the description; `# type: date` style comments set
 * the type. Other lines are reported.
 */
export function parseParameters(code: string): { params: NotebookParam[]; problems: string[] } {
  const params: NotebookParam[] = []
  const problems: string[] = []
  for (const line of code.split('\n')) {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const match = /^([A-Za-z_]\w*)\s*(?::\s*[\w.[\], ]+)?=\s*(.+?)\s*(?:#\s*(.*))?$/.exec(trimmed)
    const literal = match ? pythonLiteral(match[2] as string) : undefined
    if (!match || literal === undefined) {
      problems.push(`parameters cell: '${trimmed}' is not 'name = literal' (a number, string, True/False or None)`)
      continue
    }
    const comment = match[3]?.trim()
    const declared = /^type:\s*(string|integer|number|boolean|date|datetime)\b\s*(.*)$/.exec(comment ?? '')
    const value = literal.value
    const type = (declared?.[1] as ParamSpec['type'] | undefined) ?? typeOf(value)
    const description = (declared ? declared[2] : comment) || undefined
    const spec: ParamSpec = {
      type,
      ...(value === null ? {} : { default: value }),
      ...(description ? { description } : {}),
    }
    params.push({ name: match[1] as string, spec })
  }
  return { params, problems }
}

function typeOf(value: string | number | boolean | null): ParamSpec['type'] {
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return 'date'
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?$/.test(value)) return 'datetime'
  return 'string'
}

function pythonLiteral(text: string): { value: string | number | boolean | null } | undefined {
  if (text === 'True' || text === 'False') return { value: text === 'True' }
  if (text === 'None') return { value: null }
  if (/^[-+]?\d[\d_]*$/.test(text)) return { value: Number.parseInt(text.replaceAll('_', ''), 10) }
  if (/^[-+]?(\d[\d_]*)?\.?\d[\d_]*([eE][-+]?\d+)?$/.test(text)) return { value: Number(text.replaceAll('_', '')) }
  const quoted = /^[rRuU]?(['"])(.*)\1$/.exec(text)
  if (quoted && !(quoted[2] as string).includes(quoted[1] as string)) return { value: quoted[2] as string }
  return undefined
}

/** A JSON value as Python source (papermill's translation): for the injected-parameters cell. */
export function toPython(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'number')
    return Number.isFinite(value) ? String(value) : `float(${JSON.stringify(String(value))})`
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(toPython).join(', ')}]`
  if (typeof value === 'object')
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}: ${toPython(item)}`)
      .join(', ')}}`
  return JSON.stringify(String(value))
}
