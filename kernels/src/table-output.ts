import type { DisplayDataOutput, ExecuteResultOutput, Output, TableData } from './kernel.ts'
import { TABLE_MIME_TYPE } from './kernel.ts'

const PLAIN_ROWS = 20

/**
 * A SQL result as an output: our table mime type for the workbench, plus a short `text/plain` rendering so
 * JupyterLab users opening the exported notebook still see something.
 * `executionCount` undefined makes it a display_data (an earlier statement of the cell).
 */
export function tableOutput(
  data: TableData,
  executionCount: number | null | undefined,
): ExecuteResultOutput | DisplayDataOutput {
  const bundle = { [TABLE_MIME_TYPE]: data, 'text/plain': plainText(data) }
  if (executionCount === undefined) return { output_type: 'display_data', data: bundle, metadata: {} }
  return { output_type: 'execute_result', execution_count: executionCount, data: bundle, metadata: {} }
}

function plainText(data: TableData): string {
  const header = data.columns.map((c) => c.name).join('\t')
  const rows = data.rows
    .slice(0, PLAIN_ROWS)
    .map((row) => row.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('\t'))
  const more = data.totalRows > rows.length ? [`... ${data.totalRows} rows in total`] : []
  return [header, ...rows, ...more].join('\n')
}

/** The SQL result an output carries, if it is one (an execute_result or display_data with our table mime type). */
export function tableOf(output: Output): TableData | undefined {
  if (output.output_type !== 'execute_result' && output.output_type !== 'display_data') return undefined
  return output.data[TABLE_MIME_TYPE] as TableData | undefined
}
