import { isInternalName } from '../notebook/sql-support.ts'
import { monaco } from './setup.ts'

/** The kernel answers of `POST …/execution/complete` and `…/inspect` (Jupyter complete/inspect requests). */
export interface PythonKernelSource {
  complete(
    code: string,
    cursor: number,
  ): Promise<{ matches: string[]; cursorStart: number; cursorEnd: number; types?: string[] }>
  inspect(code: string, cursor: number): Promise<{ found: boolean; text?: string }>
}

let kernelSource: PythonKernelSource | undefined

/** Where Python completion and Shift-Tab help come from (set by the open notebook; undefined: nothing offered). */
export function setPythonKernelSource(source: PythonKernelSource | undefined): void {
  kernelSource = source
}

/** Models whose next hover was asked for with Shift-Tab: only those ask the kernel (a mouse hover never does). */
const inspectRequested = new WeakSet<monaco.editor.ITextModel>()

/** Shows the kernel's documentation of the name at the caret, as Jupyter's Shift-Tab. */
export function inspectAtCursor(editor: monaco.editor.ICodeEditor): void {
  const model = editor.getModel()
  if (!model) return
  inspectRequested.add(model)
  editor.trigger('keyboard', 'editor.action.showHover', { focus: 'noAutoFocus' })
}

const KINDS: Record<string, monaco.languages.CompletionItemKind> = {
  function: monaco.languages.CompletionItemKind.Function,
  class: monaco.languages.CompletionItemKind.Class,
  module: monaco.languages.CompletionItemKind.Module,
  instance: monaco.languages.CompletionItemKind.Variable,
  statement: monaco.languages.CompletionItemKind.Variable,
  keyword: monaco.languages.CompletionItemKind.Keyword,
  param: monaco.languages.CompletionItemKind.Variable,
  property: monaco.languages.CompletionItemKind.Property,
  path: monaco.languages.CompletionItemKind.File,
  magic: monaco.languages.CompletionItemKind.Snippet,
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what is stripped
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g

let registered = false

/** Registers kernel completion and inspection for the `python` language, once per page. */
export function registerPythonLanguage(): void {
  if (registered) return
  registered = true
  monaco.languages.registerCompletionItemProvider('python', {
    triggerCharacters: ['.'],
    async provideCompletionItems(model, position) {
      const source = kernelSource
      if (!source) return { suggestions: [] }
      const reply = await source.complete(model.getValue(), model.getOffsetAt(position)).catch(() => undefined)
      if (!reply || model.isDisposed()) return { suggestions: [] }
      const range = monaco.Range.fromPositions(
        model.getPositionAt(reply.cursorStart),
        model.getPositionAt(reply.cursorEnd),
      )
      const suggestions: monaco.languages.CompletionItem[] = []
      reply.matches.forEach((match, i) => {
        if (isInternalName(match)) return
        const type = reply.types?.[i] ?? ''
        suggestions.push({
          label: match,
          kind: KINDS[type] ?? monaco.languages.CompletionItemKind.Text,
          detail: type || undefined,
          insertText: match,
          range,
          // The kernel's order (IPython ranks locals and exact prefixes first).
          sortText: String(i).padStart(6, '0'),
        })
      })
      return { suggestions }
    },
  })
  monaco.languages.registerHoverProvider('python', {
    async provideHover(model, position) {
      if (!inspectRequested.delete(model) || !kernelSource) return null
      const reply = await kernelSource.inspect(model.getValue(), model.getOffsetAt(position)).catch(() => undefined)
      if (!reply?.found || !reply.text) return null
      return { contents: [{ value: `\`\`\`text\n${reply.text.replace(ANSI, '').replace(/```/g, 'ˋˋˋ')}\n\`\`\`` }] }
    },
  })
}
