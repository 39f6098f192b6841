import sharp from 'sharp'
import { rng } from './receipt-generator.ts'

/**
 * Degradations of a rendered receipt. `degrade` is the "scanned" kind (rotation, blur, low contrast,
 * downscaling, JPEG); `photograph` makes it look like a phone photo of a paper receipt on a table:
 * perspective, a shadow across it, crumple creases and warping, sensor noise.
 */

export interface Degradation {
  /** Degrees, clockwise. */
  rotate?: number
  /** Gaussian sigma in pixels. */
  blur?: number
  /** 1 = unchanged; 0.4 = grey text on a grey page. */
  contrast?: number
  /** Output size factor (0.6 = 60 %). */
  scale?: number
  jpegQuality?: number
}

export async function degrade(png: Buffer, d: Degradation): Promise<Buffer> {
  let img = sharp(png).greyscale()
  if (d.rotate) img = sharp(await img.rotate(d.rotate, { background: '#ffffff' }).png().toBuffer())
  if (d.blur) img = img.blur(d.blur)
  if (d.contrast !== undefined && d.contrast !== 1) {
    // Pull black toward grey and white slightly down: ink at 255·(1-c)·0.8, paper at ~235.
    const a = d.contrast * 0.92
    img = img.linear(a, 235 - 255 * a)
  }
  if (d.scale && d.scale !== 1) {
    const meta = await sharp(png).metadata()
    img = sharp(await img.png().toBuffer()).resize({ width: Math.round((meta.width ?? 600) * d.scale) })
  }
  return d.jpegQuality ? img.jpeg({ quality: d.jpegQuality }).toBuffer() : img.png().toBuffer()
}

/** The "clean" set's degradation for a seed: mild and varied (what a flatbed scan or a screenshot gives). */
export function cleanDegradation(seed: number): Degradation {
  const r = rng(seed * 7919 + 13)
  return {
    rotate: r() < 0.5 ? Math.round((r() * 4 - 2) * 10) / 10 : 0,
    blur: r() < 0.4 ? 0.5 + r() * 0.4 : 0,
    contrast: r() < 0.4 ? 0.5 + r() * 0.3 : 1,
    scale: r() < 0.4 ? 0.75 + r() * 0.2 : 1,
  }
}

/** Solves the 8 unknowns of the homography taking `from` corners to `to` corners (Gaussian elimination). */
function homography(from: [number, number][], to: [number, number][]): number[] {
  const a: number[][] = []
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i] as [number, number]
    const [u, v] = to[i] as [number, number]
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v])
  }
  for (let c = 0; c < 8; c++) {
    let p = c
    for (let r = c + 1; r < 8; r++)
      if (Math.abs((a[r] as number[])[c] as number) > Math.abs((a[p] as number[])[c] as number)) p = r
    ;[a[c], a[p]] = [a[p] as number[], a[c] as number[]]
    const pivot = a[c] as number[]
    for (let r = 0; r < 8; r++) {
      if (r === c) continue
      const row = a[r] as number[]
      const k = (row[c] as number) / (pivot[c] as number)
      for (let j = c; j < 9; j++) row[j] = (row[j] as number) - k * (pivot[j] as number)
    }
  }
  return a.map((row, i) => (row[8] as number) / (row[i] as number))
}

/** A phone-photo look, deterministic for a seed. */
export async function photograph(png: Buffer, seed: number): Promise<Buffer> {
  const r = rng(seed * 104729 + 7)
  const { data: src, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true })
  const sw = info.width
  const sh = info.height
  const margin = 0.08
  const W = Math.round(sw * (1 + 2 * margin))
  const H = Math.round(sh * (1 + 2 * margin))
  const jitter = () => (r() - 0.5) * 0.1
  // Where the paper's corners land in the photo (a tilted phone): then map photo pixels back to the paper.
  const dst: [number, number][] = [
    [W * (margin + jitter()), H * (margin + jitter())],
    [W * (1 - margin + jitter()), H * (margin + jitter())],
    [W * (1 - margin + jitter()), H * (1 - margin + jitter())],
    [W * (margin + jitter()), H * (1 - margin + jitter())],
  ]
  const corners: [number, number][] = [
    [0, 0],
    [sw, 0],
    [sw, sh],
    [0, sh],
  ]
  const h = homography(dst, corners)
  const out = Buffer.alloc(W * H)
  const table = 60 + Math.floor(r() * 50)
  const shadowAngle = r() * Math.PI * 2
  const shadowStrength = 0.2 + r() * 0.25
  const [cx, cy] = [Math.cos(shadowAngle), Math.sin(shadowAngle)]
  const creases = Array.from({ length: 2 + Math.floor(r() * 3) }, () => ({
    a: r() * Math.PI,
    o: r() * sw,
    depth: 0.06 + r() * 0.08,
  }))
  const waveA = 1 + r() * 2.5
  const waveF = 0.004 + r() * 0.006
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const w = (h[6] as number) * x + (h[7] as number) * y + 1
      let u = ((h[0] as number) * x + (h[1] as number) * y + (h[2] as number)) / w
      let v = ((h[3] as number) * x + (h[4] as number) * y + (h[5] as number)) / w
      // Crumpled paper: a gentle warp of the paper plane.
      u += waveA * Math.sin(v * waveF * 6.283)
      v += waveA * Math.sin(u * waveF * 4.1)
      let value: number
      if (u < 0 || v < 0 || u >= sw - 1 || v >= sh - 1) value = table + (r() - 0.5) * 16
      else {
        const x0 = Math.floor(u)
        const y0 = Math.floor(v)
        const fx = u - x0
        const fy = v - y0
        const p = (xx: number, yy: number) => src[yy * sw + xx] as number
        value =
          p(x0, y0) * (1 - fx) * (1 - fy) +
          p(x0 + 1, y0) * fx * (1 - fy) +
          p(x0, y0 + 1) * (1 - fx) * fy +
          p(x0 + 1, y0 + 1) * fx * fy
        for (const c of creases) {
          const d = Math.abs(Math.cos(c.a) * u + Math.sin(c.a) * v - c.o)
          if (d < 6) value *= 1 - c.depth * (1 - d / 6)
        }
      }
      const t = ((x / W - 0.5) * cx + (y / H - 0.5) * cy + 0.5) ** 2
      value *= 1 - shadowStrength * Math.min(1, t)
      value += (r() - 0.5) * 18
      out[y * W + x] = Math.max(0, Math.min(255, Math.round(value)))
    }
  }
  return sharp(out, { raw: { width: W, height: H, channels: 1 } })
    .blur(0.6)
    .jpeg({ quality: 72 })
    .toBuffer()
}
