export { DuckdbDatabase, type DuckdbDatabaseOptions, defaultDuckdbDatabaseOptions, type QueryPage } from './database.ts'
