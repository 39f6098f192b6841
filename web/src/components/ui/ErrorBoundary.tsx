import { Component, type ErrorInfo, type ReactNode } from 'react'

interface Props {
  children: ReactNode
  /** Where "go back" leads (an app path); the boundary resets when it changes. */
  backHref?: string
  resetKey?: string
}

/** Catches a crashing page so the rest of the app (navigation, other pages) keeps working. */
export class ErrorBoundary extends Component<Props, { error: Error | undefined; key: string | undefined }> {
  override state = { error: undefined as Error | undefined, key: this.props.resetKey }

  static getDerivedStateFromError(error: Error) {
    return { error }
  }

  static getDerivedStateFromProps(props: Props, state: { error: Error | undefined; key: string | undefined }) {
    return props.resetKey !== state.key ? { error: undefined, key: props.resetKey } : null
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('page crashed', error, info.componentStack)
  }

  override render() {
    if (!this.state.error) return this.props.children
    return (
      <section className="panel error-page" role="alert">
        <h2>Something went wrong on this page</h2>
        <p>{this.state.error.message}</p>
        <p className="inline">
          <a href={this.props.backHref ?? '/'}>Go back</a>
          <button type="button" onClick={() => this.setState({ error: undefined })}>
            Try again
          </button>
        </p>
      </section>
    )
  }
}
