// Pure and dependency-free: the workflow bundle imports this file.

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** A duration as users write it: `500ms`, `30s`, `5m`, `1h30m`, `2d`. */
export const DURATION_PATTERN = /^(\d+(ms|s|m|h|d))+$/

/**
 * Milliseconds in a duration string, or `undefined` when it is malformed (callers report the problem
 * with its position instead of throwing).
 *
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined
  let total = 0
  for (const match of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(match[1]) * (UNITS[match[2] as string] as number)
  }
  return total
}
