import { describe, expect, it } from 'vitest'
import { planCell } from './cell-plan.ts'

describe('planCell', () => {
  it('reads SQL cells from metadata and the %%sql magic, blanking the magic line (error lines stay cell lines)', () => {
    expect(planCell('code', '%%sql\nSELECT 1', { workbench: { type: 'sql', connection: 'duckdb' } })).toEqual({
      kind: 'sql',
      code: '\nSELECT 1',
      connection: 'duckdb',
    })
    expect(planCell('code', '%%sql df <<\nSELECT 1', {})).toEqual({
      kind: 'sql',
      code: '\nSELECT 1',
      connection: 'duckdb',
      output: 'df',
    })
    expect(
      planCell('code', '%%sql\nSELECT 2', { workbench: { type: 'sql', connection: 'pg-1', output: 'sales' } }),
    ).toEqual({ kind: 'sql', code: '\nSELECT 2', connection: 'pg-1', output: 'sales' })
    expect(planCell('code', 'SELECT 3', { workbench: { type: 'sql' } })).toEqual({
      kind: 'sql',
      code: 'SELECT 3',
      connection: 'duckdb',
    })
  })

  it('runs other code cells as Python and skips markdown and raw cells', () => {
    expect(planCell('code', 'print(1)\n%%sql', {})).toEqual({ kind: 'python', code: 'print(1)\n%%sql' })
    expect(planCell('markdown', '%%sql\nSELECT 1', {})).toEqual({ kind: 'skip' })
    expect(planCell('raw', 'x', {})).toEqual({ kind: 'skip' })
  })
})
