import type { YCellType } from '@jupyter/ydoc'
import { useEffect, useRef } from 'react'
import { MonacoBinding } from 'y-monaco'
import type { Awareness } from 'y-protocols/awareness'
import { monaco } from '../../core/monaco/setup.ts'
import { registerSqlLanguage } from '../../core/monaco/sql-language.ts'
import type { ErrorPosition } from '../../core/notebook/sql-support.ts'
import { effectiveTheme, onThemeChange, storedTheme } from '../../core/ui/theme.ts'

/** What the notebook does for keys pressed inside an editor (Jupyter edit mode). */
export interface EditorKeys {
  run: () => void
  runAndAdvance: () => void
  runAndInsert: () => void
  toCommandMode: () => void
  split: (offset: number) => void
  focusPrevious: () => void
  focusNext: () => void
}

interface Props {
  cell: YCellType
  language: 'sql' | 'python' | 'markdown' | 'plaintext'
  awareness: Awareness
  readOnly: boolean
  focused: boolean
  keys: EditorKeys
  onFocus: () => void
  errorAt?: ErrorPosition
}

/** An awareness that only publishes this editor's selection while it has focus (one shared awareness, many editors). */
function focusedAwareness(awareness: Awareness, editor: monaco.editor.IStandaloneCodeEditor): Awareness {
  return new Proxy(awareness, {
    get(target, prop, receiver) {
      if (prop === 'setLocalStateField')
        return (field: string, value: unknown) => {
          if (editor.hasTextFocus()) target.setLocalStateField(field, value)
        }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** One Monaco editor bound to a cell's shared text (y-monaco), sized to its content. */
export function CellEditor({ cell, language, awareness, readOnly, focused, keys, onFocus, errorAt }: Props) {
  const host = useRef<HTMLDivElement>(null)
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor>(undefined)
  const keysRef = useRef(keys)
  keysRef.current = keys
  const onFocusRef = useRef(onFocus)
  onFocusRef.current = onFocus

  useEffect(() => {
    const element = host.current
    if (!element) return
    if (language === 'sql') registerSqlLanguage()
    const model = monaco.editor.createModel(cell.ysource.toString(), language)
    const editor = monaco.editor.create(element, {
      model,
      readOnly,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      lineNumbers: 'on',
      lineNumbersMinChars: 3,
      folding: false,
      glyphMargin: false,
      fontSize: 13,
      wordWrap: language === 'markdown' ? 'on' : 'off',
      scrollbar: { vertical: 'hidden', alwaysConsumeMouseWheel: false, handleMouseWheel: true },
      overviewRulerLanes: 0,
      renderLineHighlightOnlyWhenFocus: true,
      automaticLayout: true,
      theme: effectiveTheme(storedTheme()) === 'dark' ? 'vs-dark' : 'vs',
      ariaLabel: `${language} cell source`,
      fixedOverflowWidgets: true,
    })
    editorRef.current = editor
    const binding = new MonacoBinding(cell.ysource, model, new Set([editor]), focusedAwareness(awareness, editor))
    const resize = () => {
      element.style.height = `${Math.max(editor.getContentHeight(), 22)}px`
      editor.layout()
    }
    const sized = editor.onDidContentSizeChange(resize)
    resize()
    const K = monaco.KeyCode
    const M = monaco.KeyMod
    const actions = [
      editor.addAction({
        id: 'wb.run',
        label: 'Run cell',
        keybindings: [M.CtrlCmd | K.Enter],
        run: () => keysRef.current.run(),
      }),
      editor.addAction({
        id: 'wb.runAdvance',
        label: 'Run cell and select below',
        keybindings: [M.Shift | K.Enter],
        run: () => keysRef.current.runAndAdvance(),
      }),
      editor.addAction({
        id: 'wb.runInsert',
        label: 'Run cell and insert below',
        keybindings: [M.Alt | K.Enter],
        run: () => keysRef.current.runAndInsert(),
      }),
      editor.addAction({
        id: 'wb.command',
        label: 'Command mode',
        keybindings: [K.Escape],
        precondition: '!suggestWidgetVisible && !findWidgetVisible && !parameterHintsVisible',
        run: () => keysRef.current.toCommandMode(),
      }),
      editor.addAction({
        id: 'wb.split',
        label: 'Split cell at cursor',
        keybindings: [M.CtrlCmd | M.Shift | K.Minus],
        run: (ed) => {
          const position = ed.getPosition()
          if (position) keysRef.current.split(model.getOffsetAt(position))
        },
      }),
    ]
    // Arrow up on the first line / down on the last moves to the neighbouring cell, as in Jupyter.
    const arrows = editor.onKeyDown((e) => {
      const position = editor.getPosition()
      if (!position || editor.getSelection()?.isEmpty() === false) return
      if (e.keyCode === K.UpArrow && position.lineNumber === 1 && !e.altKey) {
        e.preventDefault()
        keysRef.current.focusPrevious()
      } else if (e.keyCode === K.DownArrow && position.lineNumber === model.getLineCount() && !e.altKey) {
        e.preventDefault()
        keysRef.current.focusNext()
      }
    })
    const focus = editor.onDidFocusEditorText(() => onFocusRef.current())
    const offTheme = onThemeChange((t) => monaco.editor.setTheme(effectiveTheme(t) === 'dark' ? 'vs-dark' : 'vs'))
    return () => {
      offTheme()
      focus.dispose()
      arrows.dispose()
      for (const a of actions) a.dispose()
      sized.dispose()
      binding.destroy()
      editor.dispose()
      model.dispose()
      editorRef.current = undefined
    }
  }, [cell, language, awareness, readOnly])

  useEffect(() => {
    const editor = editorRef.current
    if (focused && editor && !editor.hasTextFocus()) editor.focus()
  }, [focused])

  useEffect(() => {
    const model = editorRef.current?.getModel()
    if (!model) return
    monaco.editor.setModelMarkers(
      model,
      'kernel',
      errorAt
        ? [
            {
              severity: monaco.MarkerSeverity.Error,
              message: errorAt.message,
              startLineNumber: errorAt.line,
              startColumn: errorAt.column,
              endLineNumber: errorAt.line,
              endColumn:
                model.getWordAtPosition({ lineNumber: errorAt.line, column: errorAt.column })?.endColumn ??
                errorAt.column + 1,
            },
          ]
        : [],
    )
  }, [errorAt])

  return <div ref={host} className="cell-editor" data-testid="cell-editor" />
}
