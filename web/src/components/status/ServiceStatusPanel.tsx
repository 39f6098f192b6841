import { type Probe, SERVICE_LABELS, type ServiceName } from '../../core/health/readiness.ts'
import { useReadiness } from '../../hooks/use-readiness.ts'

const ORDER: ServiceName[] = ['database', 'duckdb', 'jupyter', 'temporal']

export function ServiceStatusPanel() {
  const state = useReadiness()
  return (
    <section className="panel" aria-labelledby="services-heading">
      <h2 id="services-heading">Services</h2>
      {state.kind === 'loading' && <p aria-busy="true">Checking services…</p>}
      {state.kind === 'unreachable' && (
        <p role="alert" className="status-down">
          The workbench server is unreachable: {state.error}
        </p>
      )}
      {state.kind === 'loaded' && (
        <>
          <p data-testid="overall-status" className={state.readiness.status === 'ready' ? 'status-up' : 'status-down'}>
            {state.readiness.status === 'ready' ? 'All services are up' : 'Some services are down'}
          </p>
          <ul className="services">
            {ORDER.map((name) => (
              <ServiceRow key={name} name={name} probe={state.readiness.services[name]} />
            ))}
          </ul>
        </>
      )}
    </section>
  )
}

function ServiceRow({ name, probe }: { name: ServiceName; probe: Probe }) {
  return (
    <li data-testid={`service-${name}`} data-status={probe.status}>
      <span className={`dot ${probe.status === 'up' ? 'status-up' : 'status-down'}`} aria-hidden="true">
        ●
      </span>
      <span className="name">{SERVICE_LABELS[name]}</span>
      <span className="state">{probe.status === 'up' ? 'up' : 'down'}</span>
      <span className="latency">
        {probe.status === 'up' ? `${probe.latencyMs.toFixed(1)} ms` : (probe.error ?? '')}
      </span>
    </li>
  )
}
