import { useEffect, useState } from 'react';
import { invoke } from '../api/transport';
import { openDataset } from '../state/actions';
import { ErrorPanel } from '../shell/ErrorPanel';
import { versionOfPath } from '../tree/treeModel';
import { changelogOf, committedAt, versionChoices, versionPosition, type VersionChoice } from './versionList';

type ListState = { status: 'loading' } | { status: 'ready'; choices: VersionChoice[] } | { status: 'error'; error: unknown };

/** The versions of a key (`cleaned/MES`), from the catalog one level down; fetched again when the store changes. */
function useVersionChoices(groupPath: string, storeVersion: number): ListState {
  const [state, setState] = useState<ListState>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    if (!groupPath) return;
    invoke('tree', { path: groupPath, depth: 1 }).then(
      (node) => live && setState({ status: 'ready', choices: versionChoices(node) }),
      (error: unknown) => live && setState({ status: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [groupPath, storeVersion]);
  return state;
}

/**
 * Time travel on a cleaned or feature dataset: which version this is among its key's
 * ("v3 of 7"), when it was committed, its changelog, and a pick of another version, which
 * opens that version's folder (every version is read-only: a new one comes from promote or a
 * feature build).
 */
export function VersionPicker({ path, metadata, storeVersion }: { path: string; metadata: unknown; storeVersion: number }) {
  const at = versionOfPath(path);
  const groupPath = at ? `${at.layer}/${at.key}` : '';
  const list = useVersionChoices(groupPath, storeVersion);
  if (!at) return null;
  const choices = list.status === 'ready' ? list.choices : [];
  const current = choices.find((c) => c.number === at.number) ?? null;
  const newest = choices.length > 0 && choices[choices.length - 1].number === at.number;
  const changelog = changelogOf(metadata);
  return (
    <div className="version-picker" data-testid="version-picker" data-version={at.number}>
      <label className="version-select">
        <span className="muted small">Version</span>
        <select
          aria-label="Version"
          value={at.folder}
          disabled={list.status !== 'ready'}
          onChange={(event) => openDataset(event.target.value, { reveal: true })}
        >
          {choices.length === 0 ? <option value={at.folder}>v{at.number}</option> : null}
          {choices.map((c) => (
            <option key={c.path} value={c.path}>
              v{c.number}
              {c.createdAt ? ` · ${committedAt(c.createdAt)}` : ''}
            </option>
          ))}
        </select>
      </label>
      <span className="version-position" data-testid="version-position">
        {list.status === 'ready' ? versionPosition(at.number, choices) : `v${at.number}`}
      </span>
      {current?.createdAt ? (
        <span className="muted small" data-testid="version-committed">
          committed {committedAt(current.createdAt)}
        </span>
      ) : null}
      <span className={`badge ${newest ? 'ok' : 'muted'}`} data-testid="version-state">
        {newest ? 'newest · read-only' : 'older version · read-only'}
      </span>
      {changelog ? (
        <span className="version-changelog small" data-testid="version-changelog" title={changelog}>
          “{changelog}”
        </span>
      ) : null}
      {list.status === 'error' ? <ErrorPanel error={list.error} context={`the versions of ${groupPath} could not be listed`} compact /> : null}
    </div>
  );
}
