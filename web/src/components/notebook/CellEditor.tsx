import type { YCellType } from '@jupyter/ydoc'
import { useEffect, useRef } from 'react'
import { MonacoBinding } from 'y-monaco'
import type { Awareness } from 'y-protocols/awareness'
import { inspectAtCursor, registerPythonLanguage } from '../../core/monaco/python-language.ts'
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

let overflowHost: HTMLElement | undefined

/**
 * One node in <body> for every editor's popups (suggestions, hovers). Inside a cell they would be clipped:
 * the virtualised list positions cells with `transform`, which turns Monaco's `position: fixed` widgets into
 * ones positioned (and cut off) inside the scrolling list. The class gives them Monaco's styles.
 */
function overflowWidgetsHost(): HTMLElement {
  if (!overflowHost) {
    overflowHost = document.createElement('div')
    overflowHost.className = 'monaco-editor wb-overflow-widgets'
    overflowHost.dataset.testid = 'editor-popups'
    document.body.append(overflowHost)
  }
  return overflowHost
}

/** Scrolls the notebook's scroll container (not Monaco's own) so the caret of `editor` is visible. */
function revealCaret(editor: monaco.editor.IStandaloneCodeEditor, host: HTMLElement): void {
  const position = editor.getPosition()
  const scroller = host.closest('.cells-scroll')
  const caret = position && editor.getScrolledVisiblePosition(position)
  if (!caret || !scroller) return
  const margin = 24
  const top = host.getBoundingClientRect().top + caret.top
  const view = scroller.getBoundingClientRect()
  if (top + caret.height + margin > view.bottom) scroller.scrollTop += top + caret.height + margin - view.bottom
  else if (top - margin < view.top) scroller.scrollTop -= view.top - (top - margin)
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
    if (language === 'python') registerPythonLanguage()
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
      overflowWidgetsDomNode: overflowWidgetsHost(),
      // Enter is a newline unless the user picked an entry with the arrows (see `wb.acceptPicked`); Tab accepts.
      acceptSuggestionOnEnter: 'off',
      tabCompletion: 'off',
      // Python completes on Tab and after a dot, from the kernel (as Jupyter), not on every keystroke.
      quickSuggestions: language !== 'python',
      // Code cells offer only what their providers know (a document word on a magic line is a binding).
      wordBasedSuggestions: language === 'sql' || language === 'python' ? 'off' : 'currentDocument',
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
    // Whether the user moved through the open suggestions; only then does Enter accept one. Typing (or any
    // caret move) filters or closes the list and forgets the choice.
    const picked = editor.createContextKey<boolean>('wbSuggestPicked', false)
    // The popup of the focused editor (all editors share one popup host; only the focused one has it open).
    const suggestOpen = () =>
      editor.hasTextFocus() && overflowWidgetsHost().querySelector('.suggest-widget.visible') !== null
    // Tab completes when the caret follows a name (Jupyter); at the start of a line it indents.
    const completable = editor.createContextKey<boolean>('wbCompletable', false)
    const forgetPick = editor.onDidChangeCursorPosition((e) => {
      picked.set(false)
      const before = model.getLineContent(e.position.lineNumber).slice(0, e.position.column - 1)
      completable.set(/[\w.)\]'"]$/.test(before))
    })
    const actions = [
      editor.addAction({
        id: 'wb.acceptPicked',
        label: 'Accept the suggestion picked with the arrows',
        keybindings: [K.Enter],
        precondition: 'suggestWidgetVisible && wbSuggestPicked',
        run: (ed) => ed.trigger('keyboard', 'acceptSelectedSuggestion', {}),
      }),
      ...(language === 'python'
        ? [
            editor.addAction({
              id: 'wb.complete',
              label: 'Complete from the kernel',
              keybindings: [K.Tab],
              precondition: 'wbCompletable && !suggestWidgetVisible && !editorHasSelection && !inSnippetMode',
              run: (ed) => ed.trigger('keyboard', 'editor.action.triggerSuggest', {}),
            }),
            editor.addAction({
              id: 'wb.inspect',
              label: 'Show documentation from the kernel',
              keybindings: [M.Shift | K.Tab],
              precondition: '!suggestWidgetVisible && !editorHasSelection && !inSnippetMode',
              run: (ed) => inspectAtCursor(ed),
            }),
          ]
        : []),
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
      if (suggestOpen()) {
        if ([K.UpArrow, K.DownArrow, K.PageUp, K.PageDown].includes(e.keyCode)) picked.set(true)
        return
      }
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
    // The cells scroll in their own container, which Monaco knows nothing of: keep the caret in view there
    // (typing past the bottom of the window, or arrowing into a long cell).
    const follow = editor.onDidChangeCursorPosition(() => {
      if (editor.hasTextFocus()) requestAnimationFrame(() => revealCaret(editor, element))
    })
    const offTheme = onThemeChange((t) => monaco.editor.setTheme(effectiveTheme(t) === 'dark' ? 'vs-dark' : 'vs'))
    return () => {
      offTheme()
      focus.dispose()
      follow.dispose()
      forgetPick.dispose()
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
    if (!focused || !editor || editor.hasTextFocus()) return
    editor.focus()
    // A SQL cell's first line is its `%%sql` magic: what the user types goes below it.
    const model = editor.getModel()
    const position = editor.getPosition()
    if (model && position?.lineNumber === 1 && /^%%sql/.test(model.getLineContent(1))) {
      if (model.getLineCount() === 1)
        model.applyEdits([{ range: model.getFullModelRange(), text: `${model.getValue()}\n` }])
      editor.setPosition({ lineNumber: 2, column: model.getLineMaxColumn(2) })
    }
  }, [focused])

  useEffect(() => {
    const model = editorRef.current?.getModel()
    if (!model) return
    // Clamped to the text: a position past the end of a line (or the cell) still marks something visible.
    const line = errorAt ? Math.min(Math.max(1, errorAt.line), model.getLineCount()) : 1
    const column = errorAt ? Math.min(Math.max(1, errorAt.column), model.getLineMaxColumn(line)) : 1
    const word = model.getWordAtPosition({ lineNumber: line, column })
    monaco.editor.setModelMarkers(
      model,
      'kernel',
      errorAt
        ? [
            {
              severity: monaco.MarkerSeverity.Error,
              message: errorAt.message,
              startLineNumber: line,
              startColumn: word?.startColumn ?? column,
              endLineNumber: line,
              endColumn: word?.endColumn ?? Math.min(column + 1, model.getLineMaxColumn(line)),
            },
          ]
        : [],
    )
  }, [errorAt])

  return <div ref={host} className="cell-editor" data-testid="cell-editor" />
}
