import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'
import { AppError } from '../http/errors.ts'
import { cidrProblem } from './network-guard.ts'

const KEY = 'connections.allowed_networks'

/** The instance admins' allow-list of networks connections may reach despite the SSRF guard. */
export async function readAllowedNetworks(db: Kysely<Database>): Promise<string[]> {
  const row = await db.selectFrom('instance_settings').select('value').where('key', '=', KEY).executeTakeFirst()
  const value = row?.value
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

/** Replaces the allow-list; every entry must be an IP or CIDR (each bad one is named). */
export async function writeAllowedNetworks(db: Kysely<Database>, networks: string[]): Promise<string[]> {
  const fields = networks
    .map((n, i) => ({ field: `networks.${i}`, message: cidrProblem(n) }))
    .filter((f): f is { field: string; message: string } => f.message !== undefined)
  if (fields.length > 0)
    throw new AppError(400, 'validation_failed', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields })
  const clean = [...new Set(networks.map((n) => n.trim()))]
  await db
    .insertInto('instance_settings')
    .values({ key: KEY, value: JSON.stringify(clean) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(clean), updated_at: new Date() }))
    .execute()
  return clean
}

const KERNEL_EGRESS_KEY = 'kernels.egress'

/** How sandboxed Python kernels reach the network: `off` (nothing) or `policy` (the outbound policy). */
export type KernelEgress = 'off' | 'policy'
export const KERNEL_EGRESS_MODES = ['off', 'policy'] as const

/** The instance admins' kernel egress setting; `off` unless set. */
export async function readKernelEgress(db: Kysely<Database>): Promise<KernelEgress> {
  const row = await db
    .selectFrom('instance_settings')
    .select('value')
    .where('key', '=', KERNEL_EGRESS_KEY)
    .executeTakeFirst()
  return row?.value === 'policy' ? 'policy' : 'off'
}

/** Sets the kernel egress mode; the egress proxy reads it per connection, so it applies at once. */
export async function writeKernelEgress(db: Kysely<Database>, mode: KernelEgress): Promise<KernelEgress> {
  await db
    .insertInto('instance_settings')
    .values({ key: KERNEL_EGRESS_KEY, value: JSON.stringify(mode) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(mode), updated_at: new Date() }))
    .execute()
  return mode
}
