/** Vite's `?worker` imports: a constructor for the bundled worker. */
declare module '*?worker' {
  const WorkerConstructor: new (options?: { name?: string }) => Worker
  export default WorkerConstructor
}
