import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import sharp from 'sharp'
import type { RenderedReceipt } from './receipt-generator.ts'

/**
 * A hosted OCR service speaking the contract of docs/receipts.md ("HTTP OCR engine"), for tests. It checks each
 * request as a real service would (bearer token, JSON body, the base64 PNG decodes to the declared size) and
 * answers the printed lines of the receipt it was told about, with boxes scaled to the image it received.
 * `mode` makes it fail the ways a real one can.
 */
export interface FakeOcrService {
  url: string
  /** The receipt whose lines the next answers carry. */
  receipt: RenderedReceipt | null
  mode: 'ok' | 'http_500' | 'bad_json'
  requests: { authorization: string | undefined; width: number; height: number; languages: string[] }[]
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startFakeOcrService(token: string): Promise<FakeOcrService> {
  const state: FakeOcrService = {
    url: '',
    receipt: null,
    mode: 'ok',
    requests: [],
    close: async () => {},
  }
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (req.method !== 'POST' || req.url !== '/v1/ocr') return send(404, { error: 'not found' })
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: 'unauthorized' })
    let body: { image?: string; mimeType?: string; width?: number; height?: number; languages?: string[] }
    try {
      body = JSON.parse(await readBody(req))
    } catch {
      return send(400, { error: 'invalid JSON' })
    }
    if (body.mimeType !== 'image/png' || typeof body.image !== 'string')
      return send(400, { error: 'image/png expected' })
    const meta = await sharp(Buffer.from(body.image, 'base64')).metadata()
    if (meta.format !== 'png' || meta.width !== body.width || meta.height !== body.height)
      return send(400, { error: 'the image does not match its declared size' })
    state.requests.push({
      authorization: req.headers.authorization,
      width: body.width ?? 0,
      height: body.height ?? 0,
      languages: body.languages ?? [],
    })
    if (state.mode === 'http_500') return send(500, { error: 'internal' })
    if (state.mode === 'bad_json') return send(200, { text: 'a different product' })
    const receipt = state.receipt
    if (!receipt) return send(200, { lines: [] })
    const k = (body.width ?? receipt.width) / receipt.width
    send(200, {
      rotation: 0,
      lines: receipt.lines.map((l) => ({
        text: l.text,
        confidence: 0.97,
        box: {
          x: Math.round(36 * k),
          y: Math.round(l.y * k),
          width: Math.round((receipt.width - 72) * k),
          height: Math.round(l.height * k),
        },
      })),
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ocr`
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return state
}
