import { readdirSync, readFileSync } from 'node:fs'

/** Parent pid of a live process, or undefined when it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may contain spaces and parentheses: fields resume after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[1])
  } catch {
    return undefined
  }
}

/** Every live descendant of `root` (children, grandchildren, …), read from /proc. */
export function descendantsOf(root: number): number[] {
  const pids = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
  const children = new Map<number, number[]>()
  for (const pid of pids) {
    const parent = parentOf(pid)
    if (parent === undefined) continue
    children.set(parent, [...(children.get(parent) ?? []), pid])
  }
  const found: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    const next = children.get(queue.shift() as number) ?? []
    found.push(...next)
    queue.push(...next)
  }
  return found
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A process's command line, for messages about processes left behind. */
export function commandLine(pid: number): string {
  try {
    return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`
  } catch {
    return `${pid}: (gone)`
  }
}
