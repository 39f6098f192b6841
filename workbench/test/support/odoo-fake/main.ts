/**
 * Runs the Odoo fake on its own, for the web app's tests or by hand:
 * `node --import tsx workbench/test/support/odoo-fake/main.ts --version 19 --port 8069 [--move-lines 500000]`
 */
import { parseArgs } from 'node:util'
import { startFakeOdoo } from './server.ts'

const { values } = parseArgs({
  options: {
    version: { type: 'string', default: '17' },
    port: { type: 'string', default: '8069' },
    'move-lines': { type: 'string' },
    database: { type: 'string', default: 'odoo' },
  },
})
const odoo = await startFakeOdoo({
  version: Number(values.version),
  port: Number(values.port),
  database: values.database,
  moveLines: values['move-lines'] ? Number(values['move-lines']) : undefined,
})
console.log(JSON.stringify({ url: odoo.url, version: odoo.version, database: odoo.db.name }))
const stop = () => void odoo.stop().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
