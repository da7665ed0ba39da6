import { useEffect, useMemo, useState } from 'react';
import { invoke } from '../api/transport';
import { assetFeatureVersions, indicatorChoices, type ActiveIndicator, type FeatureDataset } from './indicators';

/** The asset's feature sets as the picker needs them: being looked up, found (maybe none), or not to be had. */
interface FeatureDatasets {
  state: 'loading' | 'ready' | 'failed';
  datasets: FeatureDataset[];
}

/** The most indicators on a chart at once (chart.series takes 8 feature columns; MACD takes 3). */
const MAX_INDICATORS = 6;

/**
 * The newest feature set of each kind built for `asset`, with its columns: found through the
 * tree of the `features` layer (wherever the layout keeps a set's versions) and each
 * version's `dataset.info` (its sidecar's asset, its columns). Looked up again when the
 * store's data changes (`dataVersion`).
 */
export function useFeatureDatasets(asset: string | null, dataVersion: number): FeatureDatasets {
  const [found, setFound] = useState<FeatureDatasets>({ state: 'loading', datasets: [] });
  useEffect(() => {
    let live = true;
    if (asset === null) {
      setFound({ state: 'ready', datasets: [] });
      return;
    }
    setFound((f) => ({ ...f, state: 'loading' }));
    const infos = new Map<string, Promise<{ asset: string | null; columns: { name: string; type: string }[] }>>();
    const info = (path: string) => {
      let known = infos.get(path);
      if (!known) {
        known = invoke('dataset.info', { path }).then((answer) => {
          const metadata = answer.metadata as { asset?: unknown } | null;
          return { asset: typeof metadata?.asset === 'string' ? metadata.asset : null, columns: answer.columns };
        });
        infos.set(path, known);
      }
      return known;
    };
    (async () => {
      const tree = await invoke('tree', { path: 'features', depth: 4 });
      const versions = await assetFeatureVersions(tree, asset, async (path) => (await info(path)).asset);
      const datasets: FeatureDataset[] = [];
      for (const version of versions) datasets.push({ path: version.path, set: version.set, columns: (await info(version.path)).columns });
      return datasets;
    })().then(
      (datasets) => {
        if (live) setFound({ state: 'ready', datasets });
      },
      () => {
        // no features layer yet, or a set that cannot be read: nothing to pick, the chart stays as it is
        if (live) setFound({ state: 'failed', datasets: [] });
      },
    );
    return () => {
      live = false;
    };
  }, [asset, dataVersion]);
  return found;
}

/**
 * The toolbar's indicator picker: a choice of the asset's feature columns (MACD as its three
 * lines), added in a pane of its own or over the candles; the indicators on the chart as
 * chips that remove them.
 */
export function IndicatorPicker({ features, active, onChange }: { features: FeatureDatasets; active: readonly ActiveIndicator[]; onChange: (next: ActiveIndicator[]) => void }) {
  const choices = useMemo(() => indicatorChoices(features.datasets), [features.datasets]);
  const free = choices.filter((c) => !active.some((a) => a.key === c.key));
  const [picked, setPicked] = useState('');
  const choice = free.find((c) => c.key === picked) ?? free[0] ?? null;
  const sets = [...new Set(free.map((c) => c.set))];
  const add = (place: ActiveIndicator['place']) => {
    if (!choice || active.length >= MAX_INDICATORS) return;
    onChange([...active, { ...choice, place }]);
    setPicked('');
  };
  const empty = features.state === 'loading' ? 'looking for feature sets…' : choices.length === 0 ? 'no feature sets for this asset' : 'all added';
  return (
    <span className="indicator-picker" data-testid="indicator-picker" data-state={features.state} data-choices={choices.length}>
      <select aria-label="Indicator" value={choice?.key ?? ''} onChange={(e) => setPicked(e.target.value)} disabled={!choice}>
        {choice ? null : <option value="">{empty}</option>}
        {sets.map((set) => (
          <optgroup key={set} label={set}>
            {free
              .filter((c) => c.set === set)
              .map((c) => (
                <option key={c.key} value={c.key}>
                  {c.label}
                </option>
              ))}
          </optgroup>
        ))}
      </select>
      <button type="button" onClick={() => add('pane')} disabled={!choice || active.length >= MAX_INDICATORS} title="Draw the indicator in a pane of its own under the volume">
        Add pane
      </button>
      <button type="button" onClick={() => add('overlay')} disabled={!choice || active.length >= MAX_INDICATORS} title="Draw the indicator over the candles, on the left axis">
        Overlay
      </button>
      {active.map((indicator) => (
        <span key={indicator.key} className="badge muted indicator-chip" data-testid="indicator-chip" data-key={indicator.key} data-place={indicator.place}>
          {indicator.label} · {indicator.place === 'pane' ? 'pane' : 'overlay'}{' '}
          <button type="button" className="link" aria-label={`Remove ${indicator.label}`} onClick={() => onChange(active.filter((a) => a.key !== indicator.key))}>
            ×
          </button>
        </span>
      ))}
    </span>
  );
}
