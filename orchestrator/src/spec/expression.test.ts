import { describe, expect, it } from 'vitest'
import { evaluate, parseExpression, references } from './expression.ts'
import { render } from './template.ts'

const scope = {
  params: { env: 'prod', n: 3, flag: false },
  steps: { count: { status: 'succeeded', output: { rows: [{ n: 5 }], empty: [] } } },
}

function run(text: string): unknown {
  const parsed = parseExpression(text)
  if (!('expression' in parsed)) throw new Error(parsed.error.message)
  return evaluate(parsed.expression, scope)
}

describe('expressions', () => {
  it.each([
    ["params.env == 'prod'", true],
    ['params.n >= 3 && params.n < 4', true],
    ['!params.flag', true],
    ["params.flag || steps.count.status == 'succeeded'", true],
    ['steps.count.output.rows[0].n > 4', true],
    ["steps.count.output.rows[0]['n'] == 5", true],
    ['steps.count.output.empty', []],
    ['!steps.count.output.empty', true],
    ['steps.missing.output.x == null', true],
    ["params.n > 'a'", false],
    ['(params.n == 3) == true', true],
    ['-1 < 0', true],
  ])('%s', (text, expected) => {
    expect(run(text)).toEqual(expected)
  })

  it('reports syntax errors with offsets', () => {
    expect(parseExpression("params.env == 'prod")).toEqual({ error: { message: 'unterminated string', offset: 14 } })
    expect(parseExpression('a ==')).toEqual({
      error: { message: "expected a value but found 'end of expression'", offset: 4 },
    })
    expect(parseExpression('a b')).toEqual({ error: { message: "unexpected 'b'", offset: 2 } })
    expect(parseExpression('a # b')).toEqual({ error: { message: "unexpected character '#'", offset: 2 } })
  })

  it('lists references with their offsets', () => {
    const parsed = parseExpression('params.a == 1 && steps.x.output')
    expect('expression' in parsed && references(parsed.expression).map((r) => [r.path, r.offset])).toEqual([
      [['params', 'a'], 0],
      [['steps', 'x', 'output'], 17],
    ])
  })
})

describe('templates', () => {
  it('keeps the type of a whole-value placeholder and interpolates the rest', () => {
    expect(
      render(
        {
          n: '{{ params.n }}',
          text: 'env={{ params.env }}, rows={{ steps.count.output.rows }}',
          list: ['{{params.flag}}'],
        },
        scope,
      ),
    ).toEqual({ n: 3, text: 'env=prod, rows=[{"n":5}]', list: [false] })
  })
})
