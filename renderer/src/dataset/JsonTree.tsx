import { useState } from 'react';

/** A JSON value as a collapsible outline: objects and arrays open on click; long arrays show their first items. */
export function JsonTree({ value, name, depth = 0, open = depth < 1 }: { value: unknown; name?: string; depth?: number; open?: boolean }) {
  const [expanded, setExpanded] = useState(open);
  const label = name !== undefined ? <span className="json-key">{name}: </span> : null;
  if (value === null || typeof value !== 'object') {
    const cls = value === null ? 'json-null' : typeof value === 'string' ? 'json-string' : typeof value === 'number' ? 'json-number' : 'json-bool';
    return (
      <div className="json-line" style={{ paddingLeft: depth * 14 }}>
        {label}
        <span className={cls}>{typeof value === 'string' ? JSON.stringify(value) : String(value)}</span>
      </div>
    );
  }
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value as Record<string, unknown>);
  const shown = entries.slice(0, 200);
  const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  return (
    <div>
      <button type="button" className="json-line json-toggle" style={{ paddingLeft: depth * 14 }} aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
        <span className="json-caret" aria-hidden="true">
          {expanded ? '▾' : '▸'}
        </span>
        {label}
        <span className="muted">{summary}</span>
      </button>
      {expanded ? (
        <>
          {shown.map(([k, v]) => (
            <JsonTree key={k} name={k} value={v} depth={depth + 1} />
          ))}
          {entries.length > shown.length ? (
            <div className="json-line muted" style={{ paddingLeft: (depth + 1) * 14 }}>
              … {entries.length - shown.length} more
            </div>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
