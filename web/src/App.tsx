import { ServiceStatusPanel } from './components/status/ServiceStatusPanel.tsx'

export function App() {
  return (
    <div className="app">
      <header className="topbar">
        <h1>Workbench</h1>
        <nav aria-label="Main">
          <a href="/api/docs">API docs</a>
        </nav>
      </header>
      <main>
        <ServiceStatusPanel />
      </main>
    </div>
  )
}
