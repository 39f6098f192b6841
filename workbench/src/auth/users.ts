import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'
import type { PasswordHasher } from './passwords.ts'

export interface UserInfo {
  id: string
  email: string
  name: string
  isInstanceAdmin: boolean
  disabled: boolean
  createdAt: string
}

/** Emails compare case-insensitively and without surrounding blanks. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

// Serialises first-user creation, so two simultaneous first registrations cannot both become admin.
const FIRST_USER_LOCK = 7_263_011

/** Accounts. Password hashes never leave this module except for verification. */
export class Users {
  constructor(
    private readonly db: () => Kysely<Database>,
    private readonly passwords: PasswordHasher,
    /** Told after an account is disabled, so its open sockets close (see `LiveSockets`). */
    private readonly onDisabled: () => Promise<void> = async () => {},
  ) {}

  async count(): Promise<number> {
    const row = await this.db()
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }

  /**
   * Creates an account; the very first account becomes instance admin. `allow` runs inside the same
   * transaction with the number of existing users, so "registration is closed unless no one exists"
   * cannot race.
   */
  async create(
    input: { email: string; name: string; password: string },
    allow: (existingUsers: number) => void = () => {},
  ): Promise<UserInfo> {
    const passwordHash = await this.passwords.hash(input.password)
    const email = normalizeEmail(input.email)
    try {
      return await this.db()
        .transaction()
        .execute(async (trx) => {
          await sql`select pg_advisory_xact_lock(${FIRST_USER_LOCK})`.execute(trx)
          const existing = await trx
            .selectFrom('users')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
          allow(Number(existing.n))
          const taken = await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()
          if (taken) throw new AppError(409, 'email_taken', 'An account with this email already exists')
          const row = await trx
            .insertInto('users')
            .values({
              email,
              name: input.name,
              password_hash: passwordHash,
              is_instance_admin: Number(existing.n) === 0,
            })
            .returningAll()
            .executeTakeFirstOrThrow()
          return toInfo(row)
        })
    } catch (err) {
      // Two registrations of one email at once: the unique index decides, and the loser hears 409.
      if (err instanceof Error && 'code' in err && err.code === '23505')
        throw new AppError(409, 'email_taken', 'An account with this email already exists')
      throw err
    }
  }

  /** For sign-in: the account and its hash, or undefined. */
  async findForLogin(email: string) {
    return this.db()
      .selectFrom('users')
      .select(['id', 'email', 'name', 'password_hash', 'disabled_at', 'is_instance_admin'])
      .where('email', '=', normalizeEmail(email))
      .executeTakeFirst()
  }

  async getOrThrow(id: string): Promise<UserInfo> {
    const row = await this.db().selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) throw new NotFoundError('user', id)
    return toInfo(row)
  }

  async passwordHashOf(id: string): Promise<string | undefined> {
    const row = await this.db().selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst()
    return row?.password_hash
  }

  async setPassword(id: string, password: string): Promise<void> {
    const passwordHash = await this.passwords.hash(password)
    const result = await this.db()
      .updateTable('users')
      .set({ password_hash: passwordHash, password_changed_at: new Date() })
      .where('id', '=', id)
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) !== 1) throw new NotFoundError('user', id)
  }

  async setName(id: string, name: string): Promise<UserInfo> {
    const row = await this.db()
      .updateTable('users')
      .set({ name })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst()
    if (!row) throw new NotFoundError('user', id)
    return toInfo(row)
  }

  async setDisabled(id: string, disabled: boolean): Promise<UserInfo> {
    const row = await this.db()
      .updateTable('users')
      .set({ disabled_at: disabled ? new Date() : null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst()
    if (!row) throw new NotFoundError('user', id)
    if (disabled) await this.onDisabled()
    return toInfo(row)
  }

  async list(options: { limit: number; offset: number; query?: string }): Promise<UserInfo[]> {
    let query = this.db().selectFrom('users').selectAll()
    if (options.query) {
      const like = `%${options.query.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`
      query = query.where((eb) => eb.or([eb('email', 'ilike', like), eb('name', 'ilike', like)]))
    }
    const rows = await query.orderBy('created_at').orderBy('id').limit(options.limit).offset(options.offset).execute()
    return rows.map(toInfo)
  }

  /** First run: creates the configured admin when there is no account yet; does nothing otherwise. */
  async ensureAdmin(admin: { email: string; password: string }): Promise<boolean> {
    if ((await this.count()) > 0) return false
    try {
      await this.create({ email: admin.email, name: 'Administrator', password: admin.password }, (n) => {
        if (n > 0) throw new AppError(409, 'already_initialised', 'Users exist already')
      })
      return true
    } catch (err) {
      if (err instanceof AppError && err.code === 'already_initialised') return false
      throw err
    }
  }
}

interface UserRow {
  id: string
  email: string
  name: string
  is_instance_admin: boolean
  disabled_at: Date | null
  created_at: Date
}

export function toInfo(row: UserRow): UserInfo {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    isInstanceAdmin: row.is_instance_admin,
    disabled: row.disabled_at !== null,
    createdAt: new Date(row.created_at).toISOString(),
  }
}
