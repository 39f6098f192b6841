export {
  type CellExecution,
  type CellLanguage,
  type CellRequest,
  NotebookSession,
  type NotebookSessionOptions,
} from './notebook-session.ts'
