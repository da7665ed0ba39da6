import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ErrorPanel } from './ErrorPanel';

/** Keeps a crash in one view from blanking the window: the view shows the error and a way back. */
export class ErrorBoundary extends Component<{ children: ReactNode; what: string; resetKey?: unknown }, { error: Error | null; key: unknown }> {
  override state: { error: Error | null; key: unknown } = { error: null, key: undefined };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  static getDerivedStateFromProps(props: { resetKey?: unknown }, state: { error: Error | null; key: unknown }) {
    // a new dataset (or whatever the key is) gets a fresh start
    if (props.resetKey !== state.key) return { error: null, key: props.resetKey };
    return null;
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(`MES Data: the ${this.props.what} view failed`, error, info.componentStack);
  }

  override render() {
    if (this.state.error) {
      return (
        <div className="pane-message">
          <ErrorPanel error={{ code: 'INTERNAL', message: this.state.error.message, details: {} }} context={`The ${this.props.what} view failed`} onRetry={() => this.setState({ error: null })} />
        </div>
      );
    }
    return this.props.children;
  }
}
