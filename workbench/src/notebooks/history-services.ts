import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'
import type { NotebookComments } from './notebook-comments.ts'
import type { NotebookVersions } from './notebook-versions.ts'

/** What the versions, comments and problems routes need once the metadata DB is open. */
export interface NotebookHistoryServices {
  db: Kysely<Database>
  versions: NotebookVersions
  comments: NotebookComments
}
