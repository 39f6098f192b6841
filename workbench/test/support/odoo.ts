import { FAKE_USERS } from './odoo-fake/seed.ts'
import { type FakeOdoo, startFakeOdoo } from './odoo-fake/server.ts'

/** An Odoo to test against: the fake of a given version, or a real server when `ODOO_TEST_URL` is set. */
export interface OdooTarget {
  url: string
  database: string
  login: string
  /** Password or API key of a user who can read accounting and expenses. */
  secret: string
  /** An API key of that user (JSON-2). */
  apiKey: string
  /** The fake, when there is no real server: tests that need its known data or its hooks use it. */
  fake?: FakeOdoo
  stop(): Promise<void>
}

/** Versions the default suite runs against (each test file picks). */
export const FAKE_VERSIONS = [16, 17, 18, 19] as const

/** `ODOO_TEST_URL` (+ `ODOO_TEST_DB`, `ODOO_TEST_LOGIN`, `ODOO_TEST_PASSWORD`, `ODOO_TEST_API_KEY`) names a real Odoo. */
export function realOdoo(): Omit<OdooTarget, 'fake' | 'stop'> | undefined {
  const url = process.env.ODOO_TEST_URL
  if (!url) return undefined
  return {
    url,
    database: process.env.ODOO_TEST_DB ?? 'odoo',
    login: process.env.ODOO_TEST_LOGIN ?? 'admin',
    secret: process.env.ODOO_TEST_PASSWORD ?? process.env.ODOO_TEST_API_KEY ?? 'admin',
    apiKey: process.env.ODOO_TEST_API_KEY ?? process.env.ODOO_TEST_PASSWORD ?? 'admin',
  }
}

/** The versions to run: the fake's, or just "the real one" (its version is whatever it is). */
export function odooVersions(versions: readonly number[] = FAKE_VERSIONS): number[] {
  return realOdoo() ? [0] : [...versions]
}

export async function startOdooTarget(version: number, options: { moveLines?: number } = {}): Promise<OdooTarget> {
  const real = realOdoo()
  if (real) return { ...real, stop: async () => {} }
  const fake = await startFakeOdoo({ version, moveLines: options.moveLines })
  return {
    url: fake.url,
    database: fake.db.name,
    login: FAKE_USERS.admin.login,
    secret: FAKE_USERS.admin.password,
    apiKey: FAKE_USERS.admin.apiKey,
    fake,
    stop: () => fake.stop(),
  }
}
