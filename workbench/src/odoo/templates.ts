/**
 * The Odoo accounting templates as SQL over the extracted tables (`odoo.account_move_line`,
 * `odoo.account_account`) and as pipelines (extract, then the SQL). Parameters are checked before they
 * are written into the SQL.
 */
const DATE = /^\d{4}-\d{2}-\d{2}$/

function checked(p: { companyId: number; dates: string[] }): void {
  if (!Number.isInteger(p.companyId) || p.companyId <= 0) throw new Error('companyId must be a positive integer')
  for (const d of p.dates) if (!DATE.test(d)) throw new Error(`${d} is not a date (YYYY-MM-DD)`)
}

/** GL month-end extract: posted journal items of a period with account, journal and partner. */
export function glMonthEndSql(p: { periodStart: string; periodEnd: string; companyId: number }): string {
  checked({ companyId: p.companyId, dates: [p.periodStart, p.periodEnd] })
  return `SELECT l.move_id, l.move_name, l.date, l.journal_name, a.code AS account_code, l.account_name,
       l.partner_id, l.partner_name, l.debit, l.credit, l.balance
  FROM odoo.account_move_line l
  JOIN odoo.account_account a ON a.id = l.account_id
 WHERE l.parent_state = 'posted' AND l.company_id = ${p.companyId}
   AND l.date BETWEEN DATE '${p.periodStart}' AND DATE '${p.periodEnd}'
 ORDER BY l.date, l.move_id, l.id`
}

/** Tie-out of a GL extract (bound as `gl`): the moves whose debits and credits differ (none when it ties out). */
export const GL_TIE_OUT_SQL = `SELECT move_id, move_name, sum(debit) AS debit, sum(credit) AS credit
  FROM gl GROUP BY ALL HAVING sum(debit) <> sum(credit)`

/**
 * AP/AR aging: open receivable and payable items (posted, residual ≠ 0) per partner, bucketed by days past
 * `date_maturity` (the item date when it has none) as of a day; amounts signed (payables negative).
 */
export function agingSql(p: { asOf: string; companyId: number }): string {
  checked({ companyId: p.companyId, dates: [p.asOf] })
  const days = `date_diff('day', coalesce(date_maturity, date), DATE '${p.asOf}')`
  const bucket = (cond: string) => `coalesce(sum(amount_residual) FILTER (WHERE ${cond}), 0) `
  return `SELECT CASE account_type WHEN 'asset_receivable' THEN 'receivable' ELSE 'payable' END AS kind,
       partner_id, partner_name,
       ${bucket(`${days} <= 0`)}AS "current",
       ${bucket(`${days} BETWEEN 1 AND 30`)}AS "1-30",
       ${bucket(`${days} BETWEEN 31 AND 60`)}AS "31-60",
       ${bucket(`${days} BETWEEN 61 AND 90`)}AS "61-90",
       ${bucket(`${days} > 90`)}AS "90+",
       sum(amount_residual) AS total
  FROM odoo.account_move_line
 WHERE parent_state = 'posted' AND company_id = ${p.companyId}
   AND account_type IN ('asset_receivable', 'liability_payable') AND amount_residual <> 0
 GROUP BY ALL ORDER BY kind, partner_name`
}

/** The pipeline of a template: extract the models it reads, then run its SQL into a table. */
export function odooTemplatePipeline(p: { name: string; connection: string; table: string; sql: string }): string {
  const indented = p.sql
    .split('\n')
    .map((l) => `        ${l}`)
    .join('\n')
  return `apiVersion: workbench/v1
kind: Pipeline
metadata:
  name: ${p.name}
steps:
  - id: extract
    type: odoo.extract
    with:
      connection: ${JSON.stringify(p.connection)}
      models: [account.account, account.move.line]
  - id: report
    type: sql
    depends_on: [extract]
    with:
      sql: |
        CREATE OR REPLACE TABLE ${p.table} AS
${indented}
`
}
