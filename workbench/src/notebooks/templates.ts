import type { INotebookContent } from '@jupyterlab/nbformat'

/** A starting point offered when creating a notebook. */
export interface NotebookTemplate {
  id: string
  name: string
  description: string
  notebook: INotebookContent
}

type CellSpec = ['markdown' | 'python', string] | ['sql', string, { connection: string; output?: string }]

/** Builds an nbformat 4.5 notebook; SQL cells follow ARCHITECTURE.md §4 (a `%%sql` code cell). */
function notebook(prefix: string, cells: CellSpec[]): INotebookContent {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' },
    },
    cells: cells.map((spec, i) => {
      const id = `${prefix}-${i + 1}`
      if (spec[0] === 'markdown') return { id, cell_type: 'markdown', source: spec[1], metadata: {} }
      if (spec[0] !== 'sql') {
        return { id, cell_type: 'code', source: spec[1], metadata: {}, outputs: [], execution_count: null }
      }
      const [, sql, options] = spec
      const { connection, output } = options
      const magic = `%%sql${output ? ` ${output} <<` : ''}`
      return {
        id,
        cell_type: 'code',
        source: `${magic}\n${sql}`,
        metadata: { workbench: { type: 'sql', connection, ...(output ? { output } : {}) } },
        outputs: [],
        execution_count: null,
      }
    }),
  }
}

export const NOTEBOOK_TEMPLATES: NotebookTemplate[] = [
  {
    id: 'sql-exploration',
    name: 'SQL exploration',
    description: 'Look around a table: shape, sample rows, value distributions.',
    notebook: notebook('explore', [
      ['markdown', '# SQL exploration\nSet `table_name` in the first SQL cell, then run all.'],
      [
        'sql',
        'SELECT table_schema, table_name, estimated_size\nFROM duckdb_tables()\nORDER BY 1, 2',
        { connection: 'duckdb', output: 'tables' },
      ],
      ['sql', 'SUMMARIZE SELECT * FROM tables', { connection: 'duckdb' }],
      ['python', 'tables.head(20)'],
    ]),
  },
  {
    id: 'csv-profiling',
    name: 'CSV profiling',
    description: 'Profile an uploaded CSV file: types, nulls, distinct values, outliers.',
    notebook: notebook('csv', [
      ['markdown', '# CSV profiling\nUpload a file, import it as a table, and set its name below.'],
      ['sql', 'CREATE OR REPLACE VIEW data AS SELECT * FROM uploads_table', { connection: 'duckdb' }],
      ['sql', 'SUMMARIZE data', { connection: 'duckdb', output: 'profile' }],
      ['python', "profile[['column_name', 'column_type', 'null_percentage', 'approx_unique']]"],
    ]),
  },
  {
    id: 'odoo-gl-month-end',
    name: 'Odoo GL month-end extract',
    description: 'General ledger lines of a closed month from Odoo, with trial balance checks.',
    notebook: notebook('odoo-gl', [
      ['markdown', '# Odoo GL month-end extract\nNeeds an Odoo connection named `odoo`. Set the month below.'],
      ['python', "period_start = '2026-10-01'\nperiod_end = '2026-10-31'"],
      [
        'sql',
        "SELECT a.code AS account, a.name, SUM(l.debit) AS debit, SUM(l.credit) AS credit,\n       SUM(l.debit - l.credit) AS balance\nFROM account_move_line l\nJOIN account_account a ON a.id = l.account_id\nJOIN account_move m ON m.id = l.move_id\nWHERE m.state = 'posted' AND l.date BETWEEN '2026-10-01' AND '2026-10-31'\nGROUP BY 1, 2\nORDER BY 1",
        { connection: 'odoo', output: 'trial_balance' },
      ],
      ['python', "assert abs(trial_balance['balance'].sum()) < 0.005, 'trial balance does not balance'\ntrial_balance"],
    ]),
  },
  {
    id: 'ap-ar-aging',
    name: 'AP/AR aging',
    description: 'Open payables and receivables by partner in 0-30, 31-60, 61-90 and 90+ day buckets.',
    notebook: notebook('aging', [
      ['markdown', '# AP/AR aging\nNeeds an Odoo connection named `odoo`.'],
      [
        'sql',
        "SELECT p.name AS partner, m.move_type,\n       SUM(CASE WHEN CURRENT_DATE - l.date_maturity <= 30 THEN l.amount_residual END) AS d0_30,\n       SUM(CASE WHEN CURRENT_DATE - l.date_maturity BETWEEN 31 AND 60 THEN l.amount_residual END) AS d31_60,\n       SUM(CASE WHEN CURRENT_DATE - l.date_maturity BETWEEN 61 AND 90 THEN l.amount_residual END) AS d61_90,\n       SUM(CASE WHEN CURRENT_DATE - l.date_maturity > 90 THEN l.amount_residual END) AS d90_plus\nFROM account_move_line l\nJOIN account_move m ON m.id = l.move_id\nJOIN res_partner p ON p.id = l.partner_id\nWHERE m.state = 'posted' AND l.amount_residual <> 0\n  AND m.move_type IN ('out_invoice', 'in_invoice')\nGROUP BY 1, 2\nORDER BY 1",
        { connection: 'odoo', output: 'aging' },
      ],
      ['python', "aging.pivot_table(index='partner', columns='move_type', aggfunc='sum').fillna(0)"],
    ]),
  },
]

export function findTemplate(id: string): NotebookTemplate | undefined {
  return NOTEBOOK_TEMPLATES.find((t) => t.id === id)
}
