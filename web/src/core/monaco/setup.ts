import * as monaco from 'monaco-editor/editor/editor.api.js'
import EditorWorker from 'monaco-editor/editor/editor.worker?worker'
import './editor-features.ts'

/**
 * Monaco, bundled by Vite with its editor worker (nothing loads from another origin). Cells only use
 * SQL, Python and Markdown, whose tokenisers run on the main thread: one generic worker serves every label.
 */
self.MonacoEnvironment = {
  getWorker: () => new EditorWorker(),
}

export { monaco }
