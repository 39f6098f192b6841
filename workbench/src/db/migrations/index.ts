import type { Migration } from 'kysely/migration'
import * as m0001 from './0001-instance-settings.ts'
import * as m0002 from './0002-identity.ts'
import * as m0005 from './0005-notebooks.ts'
import * as m0007 from './0007-notebook-history.ts'

/** Every migration, by name; names sort in the order they run. Never edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001-instance-settings': m0001,
  '0002-identity': m0002,
  '0005-notebooks': m0005,
  '0007-notebook-history': m0007,
}
