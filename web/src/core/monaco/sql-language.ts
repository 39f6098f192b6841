import { formatSqlCell } from '../notebook/sql-format.ts'
import {
  DUCKDB_FUNCTIONS,
  DUCKDB_KEYWORDS,
  isInternalName,
  isMagicLine,
  type SchemaTable,
} from '../notebook/sql-support.ts'
import { monaco } from './setup.ts'

let schemaSource: () => SchemaTable[] = () => []

/** Where SQL autocomplete gets table and column names (set by the open notebook). */
export function setSchemaSource(source: () => SchemaTable[]): void {
  schemaSource = source
}

let registered = false

/** Registers DuckDB completion and formatting for the `sql` language, once per page. */
export function registerSqlLanguage(): void {
  if (registered) return
  registered = true
  monaco.languages.registerCompletionItemProvider('sql', {
    triggerCharacters: ['.', ' '],
    provideCompletionItems(model, position) {
      const word = model.getWordUntilPosition(position)
      const range = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn)
      const line = model.getLineContent(position.lineNumber)
      // `%%sql ` + a word would become `%%sql df`: a binding of the result the user never asked for.
      if (isMagicLine(line)) return { suggestions: [] }
      const before = line.slice(0, word.startColumn - 1)
      const tables = schemaSource().filter((t) => !isInternalName(t.name))
      const K = monaco.languages.CompletionItemKind
      // After `table.`, only that table's columns.
      const dotted = /([A-Za-z_][\w]*)\.$/.exec(before)
      if (dotted) {
        const table = tables.find((t) => t.name.split('.').pop()?.toLowerCase() === dotted[1]?.toLowerCase())
        return {
          suggestions: (table?.columns ?? []).map((c) => ({
            label: c.name,
            kind: K.Field,
            detail: c.type,
            insertText: c.name,
            range,
          })),
        }
      }
      const suggestions: monaco.languages.CompletionItem[] = [
        ...DUCKDB_KEYWORDS.map((k) => ({ label: k, kind: K.Keyword, insertText: k, range, sortText: `3${k}` })),
        ...DUCKDB_FUNCTIONS.map((f) => ({
          label: f,
          kind: K.Function,
          insertText: `${f}($0)`,
          insertTextRules: monaco.languages.CompletionItemInsertTextRule.InsertAsSnippet,
          range,
          sortText: `2${f}`,
        })),
        ...tables.map((t) => ({
          label: t.name,
          kind: K.Struct,
          detail: 'table',
          insertText: t.name,
          range,
          sortText: `0${t.name}`,
        })),
        ...tables.flatMap((t) =>
          t.columns.map((c) => ({
            label: c.name,
            kind: K.Field,
            detail: `${t.name} · ${c.type}`,
            insertText: c.name,
            range,
            sortText: `1${c.name}`,
          })),
        ),
      ]
      return { suggestions }
    },
  })
  monaco.languages.registerDocumentFormattingEditProvider('sql', {
    provideDocumentFormattingEdits(model) {
      try {
        return [{ range: model.getFullModelRange(), text: formatSqlCell(model.getValue()) }]
      } catch {
        return [] // unparseable SQL stays as typed
      }
    },
  })
}
