import { createWriteStream } from 'node:fs'
const ROWS = 1_000_000
export async function generate(file: string): Promise<void> {
  const out = createWriteStream(file)
  const write = (text: string) =>
    out.write(text) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', () => resolve()))
  await write('id,day,category,amount,customer,active\n')
  let seed = 42
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed
  }
  let batch = ''
  for (let i = 1; i <= ROWS; i++) {
    const r = next()
    const day = `2024-${String((r % 12) + 1).padStart(2, '0')}-${String((r % 28) + 1).padStart(2, '0')}`
    batch += `${i},${day},cat_${r % 17},${(r % 100000) / 100},customer ${r % 99991},${r % 2 === 0}\n`
    if (i % 10_000 === 0) {
      await write(batch)
      batch = ''
    }
  }
  await write(batch)
  await new Promise<void>((resolve) => out.end(() => resolve()))
}
