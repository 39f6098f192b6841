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

/**
 * Every template runs end to end as created (templates.test.ts runs each on the real kernels). Templates that
 * need a connection type are added once that type exists (the Odoo ones wait for the Odoo connection).
 */
export const NOTEBOOK_TEMPLATES: NotebookTemplate[] = [
  {
    id: 'sql-exploration',
    name: 'SQL exploration',
    description: 'Look around a table: shape, sample rows, value distributions.',
    notebook: notebook('explore', [
      [
        'markdown',
        '# SQL exploration\nThe first cell lists the workspace tables; set `table_name` to one of them to explore it.',
      ],
      [
        'sql',
        'SELECT schema_name, table_name, estimated_size, column_count\nFROM duckdb_tables()\nORDER BY 1, 2',
        { connection: 'duckdb', output: 'tables' },
      ],
      ['python', "table_name = tables['table_name'].iloc[0] if len(tables) else None\ntables.head(20)"],
      ['sql', 'SUMMARIZE SELECT * FROM tables', { connection: 'duckdb' }],
    ]),
  },
  {
    id: 'csv-profiling',
    name: 'CSV profiling',
    description: 'Profile an uploaded CSV file: types, nulls, distinct values, outliers.',
    notebook: notebook('csv', [
      [
        'markdown',
        '# CSV profiling\nRuns as is on a small sample. To profile your file, upload and import it as a table, then ' +
          'replace the `VALUES` list below with `SELECT * FROM <your table>`.',
      ],
      [
        'sql',
        "CREATE OR REPLACE VIEW data AS\nSELECT * FROM (VALUES\n  (1, 'north', 120.5, DATE '2026-01-03'),\n  (2, 'south', NULL, DATE '2026-01-04'),\n  (3, NULL, 98.0, DATE '2026-01-04'),\n  (4, 'north', 4100.0, DATE '2026-01-05')\n) AS sample(id, region, amount, day)",
        { connection: 'duckdb' },
      ],
      // A SELECT around SUMMARIZE: only a query hands its result over to Python by name.
      ['sql', 'SELECT * FROM (SUMMARIZE data)', { connection: 'duckdb', output: 'profile' }],
      ['python', "profile[['column_name', 'column_type', 'null_percentage', 'approx_unique']]"],
    ]),
  },
]

export function findTemplate(id: string): NotebookTemplate | undefined {
  return NOTEBOOK_TEMPLATES.find((t) => t.id === id)
}
