import { useState } from 'react';
import { isDesktop } from '../api/transport';
import { openStore, showStartup } from '../state/actions';
import { useAppState } from '../state/appState';
import { ErrorPanel } from './ErrorPanel';
import { MigratePanel } from './MigratePanel';

/** A store URL of a bucket: what the "Open bucket…" field takes. */
const isBucket = (value: string) => /^s3:\/\//i.test(value.trim());

/**
 * Shown when no store is open, or it could not be opened, or the user wants another one:
 * open an existing store or create a new one from a typed path (the desktop app also has
 * File → Open Store…, which opens the system's folder picker), or open a store in a bucket
 * from its s3://bucket/prefix (the host reaches it with its own AWS settings, and works on a
 * local copy of it).
 */
export function StartupScreen() {
  const info = useAppState((s) => s.info);
  const storeError = useAppState((s) => s.storeError);
  const canGoBack = useAppState((s) => s.showStartup && s.info?.store !== null && s.info?.store !== undefined);
  const failedBucket = storeError?.path !== undefined && isBucket(storeError.path);
  const [path, setPath] = useState(failedBucket ? '' : (storeError?.path ?? ''));
  const [bucket, setBucket] = useState(failedBucket ? storeError.path : '');
  const [busy, setBusy] = useState(false);
  const recent = (info?.recentStores ?? []).filter((p) => p !== info?.store);

  const submit = async (create: boolean, target = path) => {
    setBusy(true);
    await openStore(target, create);
    setBusy(false);
  };

  return (
    <main className="startup" data-testid="startup">
      <div className="startup-card">
        <h1>MES Data</h1>
        <p className="muted">A versioned Parquet data lake for futures market data: raw snapshots → cleaned versions → feature sets.</p>
        {storeError ? (
          <>
            <ErrorPanel error={storeError} context={failedBucket ? 'That bucket could not be opened as a store' : storeError.path ? 'That folder could not be opened as a store' : 'No store'} />
            {storeError.code === 'STORE_NEEDS_MIGRATION' && storeError.path && !failedBucket ? <MigratePanel key={storeError.path} store={storeError.path} /> : null}
          </>
        ) : info?.store ? null : (
          <p className="startup-note">No store is open. Open an existing store or create a new one.</p>
        )}
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            void submit(false);
          }}
        >
          <label className="field">
            <span>Store folder</span>
            <input
              autoFocus
              value={path}
              onChange={(event) => setPath(event.target.value)}
              placeholder="/home/me/market-data"
              aria-label="Store folder"
              spellCheck={false}
            />
          </label>
          <div className="button-row">
            <button type="submit" className="primary" disabled={busy}>
              Open store
            </button>
            <button type="button" disabled={busy} onClick={() => void submit(true)} title="Create a store in this folder (an empty or new folder); an existing store is opened as it is">
              Create store
            </button>
            {canGoBack ? (
              <button type="button" onClick={() => showStartup(false)}>
                Back to {info?.store}
              </button>
            ) : null}
          </div>
        </form>
        {isDesktop() ? <p className="muted small">Or use File → Open Store… (Ctrl+O) to pick a folder.</p> : null}
        <form
          className="form"
          data-testid="open-bucket"
          onSubmit={(event) => {
            event.preventDefault();
            void submit(false, bucket);
          }}
        >
          <label className="field">
            <span>Open bucket…</span>
            <input
              value={bucket}
              onChange={(event) => setBucket(event.target.value)}
              placeholder="s3://team-lake/mes/prod"
              aria-label="Bucket URL"
              spellCheck={false}
            />
          </label>
          <p className="muted small">A store in S3 or an S3-compatible service, reached with this machine&apos;s AWS settings (AWS_ENDPOINT_URL, AWS_PROFILE…) and read from a local copy.</p>
          <div className="button-row">
            <button type="submit" disabled={busy}>
              Open bucket
            </button>
          </div>
        </form>
        {recent.length > 0 ? (
          <section>
            <h2>Recent stores</h2>
            <ul className="recent">
              {recent.map((p) => (
                <li key={p}>
                  <button type="button" className="link mono" disabled={busy} onClick={() => void submit(false, p)}>
                    {p}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
      </div>
    </main>
  );
}
