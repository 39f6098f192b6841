import type { Context } from 'hono'
import type {
  DeleteQueryBuilder,
  DeleteResult,
  Kysely,
  SelectQueryBuilder,
  UpdateQueryBuilder,
  UpdateResult,
} from 'kysely'
import type { Database } from '../db/schema.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import { currentWorkspace } from './authorize.ts'
import type { Identity } from './identity.ts'
import { roleAtLeast, type WorkspaceAccess } from './principal.ts'

/** A query that has not selected any column yet. */
// biome-ignore lint/complexity/noBannedTypes: Kysely's own type for "nothing selected yet" is `{}`
type NoSelection = {}

/** Tables whose rows belong to one workspace: they have a `workspace_id` column. */
export type WorkspaceTable = {
  [T in keyof Database]: Database[T] extends { workspace_id: infer W } ? (string extends W ? T : never) : never
}[keyof Database]

/**
 * The data-access helper for workspace data: every query it starts is already filtered to the workspace
 * the caller was admitted to, so a handler cannot forget the filter and leak another tenant's rows.
 *
 * @example
 * const scope = workspaceScope(c, identity)
 * const rows = await scope.selectFrom('invitations').selectAll().execute()
 */
export class WorkspaceScope {
  constructor(
    readonly db: Kysely<Database>,
    readonly workspace: WorkspaceAccess,
  ) {}

  get id(): string {
    return this.workspace.id
  }

  // The casts below only widen T to the union of workspace tables (each has `workspace_id`) and back:
  // TypeScript cannot resolve Kysely's `where` overloads on a generic table name.
  selectFrom<T extends WorkspaceTable>(table: T): SelectQueryBuilder<Database, T, NoSelection> {
    const query = this.db.selectFrom(table) as unknown as SelectQueryBuilder<Database, WorkspaceTable, NoSelection>
    return query.where('workspace_id', '=', this.workspace.id) as unknown as SelectQueryBuilder<
      Database,
      T,
      NoSelection
    >
  }

  updateTable<T extends WorkspaceTable>(table: T): UpdateQueryBuilder<Database, T, T, UpdateResult> {
    const query = this.db.updateTable(table) as unknown as UpdateQueryBuilder<
      Database,
      WorkspaceTable,
      WorkspaceTable,
      UpdateResult
    >
    return query.where('workspace_id', '=', this.workspace.id) as unknown as UpdateQueryBuilder<
      Database,
      T,
      T,
      UpdateResult
    >
  }

  deleteFrom<T extends WorkspaceTable>(table: T): DeleteQueryBuilder<Database, T, DeleteResult> {
    const query = this.db.deleteFrom(table) as unknown as DeleteQueryBuilder<Database, WorkspaceTable, DeleteResult>
    return query.where('workspace_id', '=', this.workspace.id) as unknown as DeleteQueryBuilder<
      Database,
      T,
      DeleteResult
    >
  }

  /** A finer check inside a handler (e.g. only owners may grant ownership). */
  requireRole(role: WorkspaceAccess['role']): void {
    if (!roleAtLeast(this.workspace.role, role))
      throw new AppError(403, 'role_insufficient', `This needs the ${role} role in the workspace`, {
        required: role,
        actual: this.workspace.role,
      })
  }
}

export function workspaceScope(c: Context<AppEnv>, identity: Identity): WorkspaceScope {
  return new WorkspaceScope(identity.db(), currentWorkspace(c))
}
