import type { Logger } from 'pino'
import type { ConnectionHandle } from './types/connection-type.ts'

interface Entry {
  version: number
  handle: Promise<ConnectionHandle>
}

/**
 * One open handle (driver pool) per saved connection, keyed by id and the row's `updated_at`: an
 * update makes the old pool unreachable and closes it; delete and shutdown close it too.
 */
export class ConnectionPools {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly logger: Logger) {}

  async get(id: string, version: number, open: () => Promise<ConnectionHandle>): Promise<ConnectionHandle> {
    const existing = this.entries.get(id)
    if (existing && existing.version === version) return existing.handle
    if (existing) await this.close(id)
    const handle = open()
    const entry = { version, handle }
    this.entries.set(id, entry)
    handle.catch(() => {
      if (this.entries.get(id) === entry) this.entries.delete(id)
    })
    return handle
  }

  /** Number of open pools (for tests and metrics). */
  get size(): number {
    return this.entries.size
  }

  has(id: string): boolean {
    return this.entries.has(id)
  }

  async close(id: string): Promise<void> {
    const entry = this.entries.get(id)
    if (!entry) return
    this.entries.delete(id)
    const handle = await entry.handle.catch(() => undefined)
    await handle?.close().catch((err: unknown) => this.logger.warn({ err, connectionId: id }, 'closing a pool failed'))
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.close(id)))
  }
}
