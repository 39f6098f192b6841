import { describe, expect, it } from 'vitest'
import { inexactSql, offeredType, sameType } from './column-types.ts'
import { sniffDialect } from './dialect.ts'

describe('column types', () => {
  it('spells offered types canonically and refuses anything else', () => {
    expect(offeredType('timestamptz')).toBe('TIMESTAMP WITH TIME ZONE')
    expect(offeredType(' timestamp  with time zone ')).toBe('TIMESTAMP WITH TIME ZONE')
    expect(offeredType('numeric(10, 2)')).toBe('DECIMAL(10,2)')
    expect(offeredType('DECIMAL(39,2)')).toBeUndefined()
    expect(offeredType('BIGINT); DROP TABLE x; --')).toBeUndefined()
    expect(offeredType('STRUCT(a INT)')).toBeUndefined()
    expect(sameType('int8', 'BIGINT')).toBe(true)
  })

  it('has an exactness rule for every lossy conversion of text, and none for exact ones', () => {
    expect(inexactSql('v', 'VARCHAR', 'BIGINT')?.why).toContain('whole number')
    expect(inexactSql('v', 'VARCHAR', 'TIMESTAMP')?.why).toContain('UTC offset')
    expect(inexactSql('v', 'VARCHAR', 'DATE')?.why).toContain('time of day')
    expect(inexactSql('v', 'VARCHAR', 'TIMESTAMP WITH TIME ZONE')).toBeUndefined()
    expect(inexactSql('v', 'VARCHAR', 'VARCHAR')).toBeUndefined()
    expect(inexactSql('v', 'DOUBLE', 'BIGINT')?.sql).toContain('IS DISTINCT FROM')
  })
})

describe('dialect sniffing', () => {
  it('detects decimal commas in files not delimited by commas', () => {
    expect(sniffDialect('a;b\nx;1,5\ny;2,25\n').decimal).toBe(',')
    expect(sniffDialect('a;b\nx;1.5\ny;2,25\n').decimal).toBe('.')
    expect(sniffDialect('a,b\nx,1\ny,2\n').decimal).toBe('.')
  })
})
