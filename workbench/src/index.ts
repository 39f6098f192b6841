// What other packages may import from the server: the app factory (benchmarks) and its types (web).
export { type App, type AppDeps, createApp } from './app.ts'
