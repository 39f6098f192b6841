// Debian packages for documents and OCR: Tesseract with English and French, the orientation model (OSD) and
// poppler's pdftotext/pdftoppm/pdfinfo. Dependency-free like bootstrap.mjs, which passes its helpers in.
import { existsSync } from 'node:fs'

/** Package -> a file it installs: a package whose file is there is not installed again. */
export const OCR_PACKAGES = {
  'tesseract-ocr': '/usr/bin/tesseract',
  'tesseract-ocr-eng': '/usr/share/tesseract-ocr/5/tessdata/eng.traineddata',
  'tesseract-ocr-fra': '/usr/share/tesseract-ocr/5/tessdata/fra.traineddata',
  'tesseract-ocr-osd': '/usr/share/tesseract-ocr/5/tessdata/osd.traineddata',
  'poppler-utils': '/usr/bin/pdftoppm',
  // The receipt generator (tests and bench/ocr) renders with several font families.
  'fonts-dejavu-core': '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
  'fonts-liberation': '/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf',
}

/** The packages of {@link OCR_PACKAGES} missing here (fonts only matter to tests). */
export function missingOcrPackages(purpose) {
  return Object.entries(OCR_PACKAGES)
    .filter(([name]) => purpose === 'test' || !name.startsWith('fonts-'))
    .filter(([, file]) => !existsSync(file))
    .map(([name]) => name)
}

/**
 * Installs what is missing (idempotent: nothing runs when every file is there). `OCR_ENGINE=off` or `http`
 * skips it for `--for=run`: the server then needs no local OCR binaries.
 * @param {{ purpose: string, run: Function, seconds: (started: number) => string, BootstrapError: ErrorConstructor }} ctx
 */
export async function ocrPackages({ purpose, run, seconds, BootstrapError }) {
  const engine = process.env.OCR_ENGINE?.trim() || 'tesseract'
  if (purpose === 'run' && (engine === 'off' || engine === 'http'))
    return `ocr packages: not needed (OCR_ENGINE=${engine})`
  const missing = missingOcrPackages(purpose)
  if (missing.length === 0) return 'ocr packages: present'
  if (process.getuid?.() !== 0)
    throw new BootstrapError(
      `documents and OCR need Debian packages: run \`sudo apt-get install -y ${missing.join(' ')}\` (or set OCR_ENGINE=off)`,
    )
  const started = Date.now()
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  await run('apt-get update (ocr)', 'apt-get', ['update', '-qq'], { env })
  await run('apt-get install (ocr)', 'apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env,
  })
  return `ocr packages: installed ${missing.join(', ')} in ${seconds(started)}`
}
