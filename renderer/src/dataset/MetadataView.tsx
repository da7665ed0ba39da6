import { copyToClipboard, openDataset } from '../state/actions';
import { countOf, formatBytes, formatCount, sidecarFileOf } from '../tree/treeModel';
import { JsonTree } from './JsonTree';
import type { DatasetInfo } from './useDatasetInfo';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function LineageLink({ path, note }: { path: string; note?: string }) {
  return (
    <button type="button" className="lineage-node link-card" title={`Open ${path}`} data-lineage-path={path} onClick={() => openDataset(path, { reveal: true, tab: 'metadata' })}>
      <span className="mono">{path}</span>
      {note ? <span className="muted small">{note}</span> : null}
    </button>
  );
}

/** The facts of a sidecar worth reading at a glance; the full JSON follows below. */
function SidecarFacts({ metadata }: { metadata: Record<string, unknown> }) {
  const facts: [string, string][] = [];
  const add = (label: string, value: unknown) => {
    if (value === undefined || value === null || value === '') return;
    facts.push([label, typeof value === 'string' ? value : typeof value === 'number' ? formatCount(value) : JSON.stringify(value)]);
  };
  add('Layer', metadata.layer);
  add('Asset', metadata.asset);
  add('Feature set', metadata.featureSet);
  if (typeof metadata.version === 'number') add('Version', `v${metadata.version}`);
  add('Created', metadata.createdAt);
  add('Rows', metadata.recordCount);
  if (typeof metadata.fileSizeBytes === 'number') add('Size', formatBytes(metadata.fileSizeBytes));
  if (isRecord(metadata.dateRange)) add('Dates', `${String(metadata.dateRange.from)} → ${String(metadata.dateRange.to)}`);
  if (isRecord(metadata.schema)) add('Schema', [metadata.schema.name, metadata.schema.version].filter((v) => typeof v === 'string').join(' '));
  if (isRecord(metadata.validation)) add('Validation', metadata.validation.valid === true ? 'valid' : metadata.validation.valid === false ? 'errors found' : 'unknown');
  if (isRecord(metadata.recipe)) add('Recipe', [metadata.recipe.name, metadata.recipe.version].filter((v) => typeof v === 'string').join(' '));
  if (isRecord(metadata.qualityMetrics) && isRecord(metadata.qualityMetrics.dropped)) {
    add(
      'Dropped',
      Object.entries(metadata.qualityMetrics.dropped)
        .map(([rule, n]) => `${rule}: ${String(n)}`)
        .join(', ') || 'none',
    );
  }
  add('Message', metadata.changelog);
  if (Array.isArray(metadata.partitioning)) add('Partitioned by', metadata.partitioning.join(', '));
  if (isRecord(metadata.writer)) add('Written by', `${String(metadata.writer.name)} ${String(metadata.writer.version)}`);
  if (facts.length === 0) return null;
  return (
    <dl className="fact-list" data-testid="sidecar-facts">
      {facts.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The Metadata & lineage tab: where the data came from and went, its sidecar and the Parquet key-value metadata. */
export function MetadataView({ info }: { info: DatasetInfo }) {
  const { inputs, outputs } = info.lineage;
  const metadata = isRecord(info.metadata) ? info.metadata : null;
  const keyValue = Object.entries(info.keyValue).sort(([a], [b]) => (a < b ? -1 : 1));
  return (
    <div className="scroll-pane metadata-view">
      <h3>Lineage</h3>
      <div className="lineage" data-testid="lineage">
        <div className="lineage-col">
          <div className="lineage-head">Made from</div>
          {inputs.length === 0 ? <p className="muted small">Nothing recorded{info.path.startsWith('raw/') ? ': raw snapshots are where data enters the store' : ''}.</p> : null}
          {inputs.slice(0, 200).map((input) => (
            <LineageLink key={input.path} path={input.path} note={input.sha256 ? `sha256 ${input.sha256.slice(0, 12)}…` : undefined} />
          ))}
          {inputs.length > 200 ? <p className="muted small">… and {inputs.length - 200} more</p> : null}
        </div>
        <div className="lineage-arrow" aria-hidden="true">
          →
        </div>
        <div className="lineage-col">
          <div className="lineage-head">This dataset</div>
          <div className="lineage-node current">
            <span className="mono">{info.path}</span>
            <span className="muted small">{countOf(info.numRows, 'row')}</span>
          </div>
        </div>
        <div className="lineage-arrow" aria-hidden="true">
          →
        </div>
        <div className="lineage-col">
          <div className="lineage-head">Used by</div>
          {outputs.length === 0 ? <p className="muted small">No version was made from it yet.</p> : null}
          {outputs.map((output) => (
            <LineageLink key={output.path} path={output.path} note={output.kind} />
          ))}
        </div>
      </div>

      <h3 className="with-control">
        Sidecar <span className="muted small mono">{sidecarFileOf(info.path) ?? ''}</span>
        {metadata ? (
          <button type="button" onClick={() => void copyToClipboard(JSON.stringify(metadata, null, 2), 'the sidecar JSON')}>
            Copy JSON
          </button>
        ) : null}
      </h3>
      {metadata ? (
        <>
          <SidecarFacts metadata={metadata} />
          <div className="json-box" data-testid="sidecar-json">
            <JsonTree value={metadata} open />
          </div>
        </>
      ) : (
        <p className="muted">No sidecar describes this path{info.path.startsWith('/') ? ' (a file outside the store)' : ''}.</p>
      )}

      <h3>Parquet key-value metadata {info.files.length > 1 ? <span className="muted small">of {info.files[0]?.path}</span> : null}</h3>
      {keyValue.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="data-table kv-table" data-testid="key-value">
          <thead>
            <tr>
              <th>Key</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {keyValue.map(([key, value]) => {
              let parsed: unknown = undefined;
              if (/^[[{]/.test(value)) {
                try {
                  parsed = JSON.parse(value) as unknown;
                } catch {
                  parsed = undefined;
                }
              }
              return (
                <tr key={key}>
                  <td className="mono">{key}</td>
                  <td className="mono kv-value">{parsed !== undefined && typeof parsed === 'object' ? <JsonTree value={parsed} open={false} /> : value}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
