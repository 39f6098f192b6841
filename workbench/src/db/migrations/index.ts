import type { Migration } from 'kysely/migration'
import * as m0001 from './0001-instance-settings.ts'
import * as m0002 from './0002-identity.ts'
import * as m0005 from './0005-notebooks.ts'
import * as m0007 from './0007-notebook-history.ts'
import * as m0008 from './0008-connections.ts'
import * as m0009 from './0009-files.ts'
import * as m0010 from './0010-pipelines.ts'
import * as m0011 from './0011-catalog.ts'
import * as m0012 from './0012-catalog-search-state.ts'
import * as m0014 from './0014-sealed-alert-secrets.ts'
import * as m0019 from './0019-audit-detail.ts'
import * as m0046 from './0046-approvals.ts'

/** Every migration, by name; names sort in the order they run. Never edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001-instance-settings': m0001,
  '0002-identity': m0002,
  '0005-notebooks': m0005,
  '0007-notebook-history': m0007,
  '0008-connections': m0008,
  '0009-files': m0009,
  '0010-pipelines': m0010,
  '0011-catalog': m0011,
  '0012-catalog-search-state': m0012,
  '0014-sealed-alert-secrets': m0014,
  '0019-audit-detail': m0019,
  '0046-approvals': m0046,
}
