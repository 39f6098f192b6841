import type { INotebookContent } from '@jupyterlab/nbformat'

/** A notebook of `cells` cells alternating SQL-ish code (with a small output) and markdown, ~150 bytes each. */
export function benchNotebook(cells: number): INotebookContent {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: Array.from({ length: cells }, (_, i) =>
      i % 2 === 0
        ? {
            id: `cell-${i}`,
            cell_type: 'code' as const,
            source: `df_${i} = con.sql("SELECT account, SUM(amount) FROM gl WHERE period = ${i}")\ndf_${i}.head()`,
            metadata: {},
            outputs: [{ output_type: 'stream' as const, name: 'stdout' as const, text: `rows: ${i * 7}\n` }],
            execution_count: i,
          }
        : {
            id: `cell-${i}`,
            cell_type: 'markdown' as const,
            source: `## Step ${i}\nCheck the totals of period ${i} against the trial balance.`,
            metadata: {},
          },
    ),
  }
}
