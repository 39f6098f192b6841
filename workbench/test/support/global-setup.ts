import type { TestProject } from 'vitest/node'
import { type PostgresServer, startPostgresServer } from './postgres-server.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL server every DB test also runs against. */
    postgresUrl: string
  }
}

let server: PostgresServer | undefined

/** One real PostgreSQL for the whole run: `TEST_DATABASE_URL` if given, else a throwaway cluster. */
export async function setup(project: TestProject): Promise<void> {
  const given = process.env.TEST_DATABASE_URL
  if (given) {
    project.provide('postgresUrl', given)
    return
  }
  server = await startPostgresServer()
  project.provide('postgresUrl', server.url)
}

export async function teardown(): Promise<void> {
  server?.stop()
}
