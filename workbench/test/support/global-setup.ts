import type { TestProject } from 'vitest/node'
import { type MariadbServer, startMariadbServer } from './mariadb-server.ts'
import { type PostgresServer, startPostgresServer } from './postgres-server.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL server every DB test also runs against. */
    postgresUrl: string
    /** URL of the throwaway MariaDB (a user with every privilege) for MySQL connection and kernel tests. */
    mariadbUrl: string
  }
}

let server: PostgresServer | undefined
let mariadb: MariadbServer | undefined

/** One real PostgreSQL for the whole run: `TEST_DATABASE_URL` if given, else a throwaway cluster. */
export async function setup(project: TestProject): Promise<void> {
  // MariaDB: `TEST_MARIADB_URL` if given, else a throwaway server (started alongside PostgreSQL).
  const mariadbGiven = process.env.TEST_MARIADB_URL
  const mariadbStarting = mariadbGiven ? Promise.resolve(undefined) : startMariadbServer()
  mariadbStarting.catch(() => {})
  const provideMariadb = async () => {
    mariadb = await mariadbStarting
    project.provide('mariadbUrl', mariadbGiven ?? mariadb?.url ?? '')
  }
  const given = process.env.TEST_DATABASE_URL
  if (given) {
    project.provide('postgresUrl', given)
    await provideMariadb()
    return
  }
  server = await startPostgresServer()
  project.provide('postgresUrl', server.url)
  await provideMariadb()
}

export async function teardown(): Promise<void> {
  server?.stop()
  await mariadb?.stop()
}
