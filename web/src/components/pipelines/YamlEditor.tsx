import 'monaco-editor/languages/definitions/yaml/register.js'
import { useEffect, useImperativeHandle, useRef } from 'react'
import { monaco } from '../../core/monaco/setup.ts'
import type { SpecProblem } from '../../core/pipelines/types.ts'
import { effectiveTheme, onThemeChange, storedTheme } from '../../core/ui/theme.ts'

/** What a page can ask of the editor: put the cursor on a problem. */
export interface YamlEditorHandle {
  reveal: (line: number, column: number) => void
}

interface Props {
  value: string
  onChange?: (value: string) => void
  readOnly: boolean
  problems: SpecProblem[]
  label: string
  handle?: React.Ref<YamlEditorHandle>
}

/**
 * A Monaco editor for pipeline YAML: each validation problem is an error marker at its line and column.
 * `value` changes from outside (another version, a schedule edit) replace the text; typing reports through `onChange`.
 */
export function YamlEditor({ value, onChange, readOnly, problems, label, handle }: Props) {
  const host = useRef<HTMLDivElement>(null)
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor>(undefined)
  const onChangeRef = useRef(onChange)
  onChangeRef.current = onChange

  useEffect(() => {
    const element = host.current
    if (!element) return
    const model = monaco.editor.createModel(value, 'yaml')
    const editor = monaco.editor.create(element, {
      model,
      readOnly,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      fontSize: 13,
      tabSize: 2,
      // Monaco dims the last line's number when the file ends in a newline: too faint to read (axe contrast).
      renderFinalNewline: 'on',
      automaticLayout: true,
      theme: effectiveTheme(storedTheme()) === 'dark' ? 'vs-dark' : 'vs',
      ariaLabel: label,
      fixedOverflowWidgets: true,
    })
    editorRef.current = editor
    const changed = model.onDidChangeContent(() => onChangeRef.current?.(model.getValue()))
    const offTheme = onThemeChange((t) => monaco.editor.setTheme(effectiveTheme(t) === 'dark' ? 'vs-dark' : 'vs'))
    return () => {
      offTheme()
      changed.dispose()
      editor.dispose()
      model.dispose()
      editorRef.current = undefined
    }
    // Created once; value, readOnly and markers are applied by the effects below.
  }, [])

  useEffect(() => {
    const model = editorRef.current?.getModel()
    if (model && model.getValue() !== value) model.setValue(value)
  }, [value])

  useEffect(() => {
    editorRef.current?.updateOptions({ readOnly })
  }, [readOnly])

  useEffect(() => {
    const model = editorRef.current?.getModel()
    if (!model) return
    const lines = model.getLineCount()
    monaco.editor.setModelMarkers(
      model,
      'pipeline',
      problems.map((p) => {
        const line = Math.min(Math.max(p.line ?? 1, 1), lines)
        const column = Math.max(p.column ?? 1, 1)
        const lineEnd = model.getLineMaxColumn(line)
        const start = Math.min(column, lineEnd)
        // The word the problem points at (a misspelt step id, a key), else the rest of the line.
        const word = model.getWordAtPosition({ lineNumber: line, column: start })
        const end = word && word.endColumn > start ? word.endColumn : lineEnd > start ? lineEnd : start + 1
        return {
          severity: monaco.MarkerSeverity.Error,
          message: `${p.message} (${p.code})`,
          startLineNumber: line,
          startColumn: start,
          endLineNumber: line,
          endColumn: end,
        }
      }),
    )
  }, [problems, value])

  useImperativeHandle(handle, () => ({
    reveal: (line, column) => {
      const editor = editorRef.current
      if (!editor) return
      editor.revealLineInCenter(line)
      editor.setPosition({ lineNumber: line, column })
      editor.focus()
    },
  }))

  return (
    <div
      ref={host}
      className="yaml-editor"
      data-testid="yaml-editor"
      data-markers={problems.length}
      data-readonly={readOnly ? 'true' : 'false'}
    />
  )
}
