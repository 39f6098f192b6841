import sharp from 'sharp'

/**
 * Writes small PDFs for the document tests: pages of text (a real text layer, Courier, WinAnsi) and pages
 * holding a JPEG (a "scanned" PDF without text). Follows the PDF 1.4 file structure: objects, xref, trailer.
 */

type Page = { kind: 'text'; lines: string[] } | { kind: 'image'; jpeg: Buffer; width: number; height: number }

/** Latin-1 bytes of a text line inside a PDF string: WinAnsi covers French accents; parentheses escaped. */
function pdfString(s: string): Buffer {
  const escaped = s.replaceAll('\\', '\\\\').replaceAll('(', '\\(').replaceAll(')', '\\)')
  return Buffer.concat([Buffer.from('('), Buffer.from(escaped.replaceAll('€', 'EUR'), 'latin1'), Buffer.from(')')])
}

export function writePdf(pages: Page[], options: { width?: number; height?: number } = {}): Buffer {
  const W = options.width ?? 300
  const H = options.height ?? 500
  const objects: Buffer[] = []
  const add = (body: Buffer | string) => {
    objects.push(typeof body === 'string' ? Buffer.from(body, 'latin1') : body)
    return objects.length
  }
  const catalog = add('')
  const pagesObj = add('')
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>')
  const kids: number[] = []
  for (const page of pages) {
    let content: Buffer
    let resources: string
    if (page.kind === 'text') {
      const parts: Buffer[] = [Buffer.from(`BT /F1 10 Tf 12 TL 20 ${H - 30} Td\n`)]
      for (const line of page.lines) parts.push(pdfString(line), Buffer.from(" '\n"))
      parts.push(Buffer.from('ET'))
      content = Buffer.concat(parts)
      resources = `<< /Font << /F1 ${font} 0 R >> >>`
    } else {
      const image = add(
        Buffer.concat([
          Buffer.from(
            `<< /Type /XObject /Subtype /Image /Width ${page.width} /Height ${page.height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length ${page.jpeg.length} >>\nstream\n`,
          ),
          page.jpeg,
          Buffer.from('\nendstream'),
        ]),
      )
      content = Buffer.from(`q ${W} 0 0 ${H} 0 0 cm /Im1 Do Q`)
      resources = `<< /XObject << /Im1 ${image} 0 R >> >>`
    }
    const stream = add(
      Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from('\nendstream')]),
    )
    kids.push(
      add(
        `<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 ${W} ${H}] /Resources ${resources} /Contents ${stream} 0 R >>`,
      ),
    )
  }
  objects[catalog - 1] = Buffer.from(`<< /Type /Catalog /Pages ${pagesObj} 0 R >>`)
  objects[pagesObj - 1] = Buffer.from(
    `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`,
  )
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')]
  const offsets: number[] = []
  let length = chunks[0]?.length ?? 0
  for (const [i, body] of objects.entries()) {
    offsets.push(length)
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')])
    chunks.push(obj)
    length += obj.length
  }
  const xref = [
    `xref\n0 ${objects.length + 1}\n`,
    '0000000000 65535 f \n',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`),
  ].join('')
  chunks.push(
    Buffer.from(
      `${xref}trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R >>\nstartxref\n${length}\n%%EOF\n`,
    ),
  )
  return Buffer.concat(chunks)
}

/** A text-layer PDF of receipt lines (one page). */
export function textPdf(lines: string[]): Buffer {
  return writePdf([{ kind: 'text', lines }])
}

/** A "scanned" PDF: the PNG as a greyscale JPEG filling the page, no text layer. */
export async function scannedPdf(png: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(png)
    .toColourspace('b-w')
    .jpeg({ quality: 90 })
    .toBuffer({ resolveWithObject: true })
  const height = Math.round((300 * info.height) / info.width)
  return writePdf([{ kind: 'image', jpeg: data, width: info.width, height: info.height }], { width: 300, height })
}
