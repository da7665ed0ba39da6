import { errorWords } from '../api/errorText';

/** An error in words: what kind of trouble (title), the code, the host's message (with its values), the file, a hint. */
export function ErrorPanel({ error, context, compact = false, onRetry }: { error: unknown; context?: string; compact?: boolean; onRetry?: () => void }) {
  const words = errorWords(error);
  return (
    <div className={compact ? 'error-panel compact' : 'error-panel'} role="alert" data-code={words.code}>
      <div className="error-title">
        <span className="error-icon" aria-hidden="true">
          !
        </span>
        <span className="error-title-text">
          {context ? `${context}: ` : ''}
          {words.title.charAt(0).toLowerCase() === words.title.charAt(0) || !context ? words.title : words.title.charAt(0).toLowerCase() + words.title.slice(1)}
        </span>
        <code className="error-code">{words.code}</code>
      </div>
      <p className="error-message">{words.message}</p>
      {words.file && !words.message.includes(words.file) ? (
        <p className="error-file">
          File: <code>{words.file}</code>
        </p>
      ) : null}
      {words.hint && !compact ? <p className="error-hint">{words.hint}</p> : null}
      {onRetry ? (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
