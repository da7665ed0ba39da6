/** The visible place to drop files (they can be dropped anywhere on the window too); a click chooses files. */
export function DropZone({ onChoose }: { onChoose: () => void }) {
  return (
    <button type="button" className="drop-zone" onClick={onChoose} data-testid="drop-zone" title="Drop CSV, TSV, Parquet, Arrow or JSON Lines files anywhere on the window, or click to choose them (Ctrl+I)">
      <span className="drop-icon" aria-hidden="true">
        ⇩
      </span>
      <span>
        <strong>Drop files to ingest</strong>
        <span className="muted small">CSV · TSV · Parquet · Arrow · JSONL — or click to choose</span>
      </span>
    </button>
  );
}

/** Covers the window while files are dragged over it. */
export function DropOverlay() {
  return (
    <div className="drop-overlay" aria-hidden="true" data-testid="drop-overlay">
      <div className="drop-overlay-box">
        <span className="drop-icon">⇩</span>
        Drop files to ingest
      </div>
    </div>
  );
}
