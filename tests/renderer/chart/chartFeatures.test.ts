import { describe, expect, it } from 'vitest';
import { attachFeatures, barTimesForRows, drawnBars, spliceDetail, type SeriesBar } from '../../../renderer/src/chart/chartBars.ts';
import {
  assetFeatureVersions,
  featureIndex,
  featureRequest,
  formatIndicator,
  indicatorChoices,
  indicatorLabel,
  type ActiveIndicator,
  type FeatureDataset,
} from '../../../renderer/src/chart/indicators.ts';
import type { CatalogNodeDto } from '../../../core/api/contract.js';

const bar = (t: number, row: number, c = 10) => ({ t, o: c, h: c + 1, l: c - 1, c, v: 5, row });
const MOMENTUM = 'features/v3/momentum_indicators';
const VOL = 'features/v2/price_volatility';
const rsi = { path: MOMENTUM, column: 'rsi_14' };
const atr = { path: VOL, column: 'atr_14' };

describe('feature values aligned to the bars', () => {
  it('attaches each answer value to the bar at its index, in the order the features were asked for', () => {
    const bars = [bar(0, 0), bar(60_000, 1), bar(120_000, 2)];
    const got = attachFeatures(
      bars,
      [
        { ...rsi, values: [null, 41.5, 58.25] },
        { ...atr, values: [3, 3, 3.5] },
      ],
      [rsi, atr],
    );
    expect(got.map((b) => [b.t, b.f])).toEqual([
      [0, [null, 3]],
      [60_000, [41.5, 3]],
      [120_000, [58.25, 3.5]],
    ]);
  });

  it('refuses an answer that does not match what was asked: other columns, another order, a value too few', () => {
    const bars = [bar(0, 0), bar(60_000, 1)];
    expect(() => attachFeatures(bars, [{ ...rsi, values: [1, 2] }], [rsi, atr])).toThrow('the chart asked for 2 feature columns and got 1');
    expect(() => attachFeatures(bars, [{ ...atr, values: [1, 2] }, { ...rsi, values: [1, 2] }], [rsi, atr])).toThrow(
      `feature 1 of the chart is ${VOL} atr_14, not ${MOMENTUM} rsi_14`,
    );
    expect(() => attachFeatures(bars, [{ ...rsi, values: [1] }], [rsi])).toThrow(`rsi_14 of ${MOMENTUM} has 1 values for 2 bars`);
    expect(attachFeatures(bars, [], []).map((b) => b.f)).toEqual([[], []]);
  });

  it('drawn bars keep their values; bars merged into one second take the later non-null value of each, as a close', () => {
    const bars: SeriesBar[] = [
      { ...bar(120_000, 5, 12), f: [60, null] },
      { ...bar(60_000, 1, 11), f: [40, 2] },
      { ...bar(120_400, 6, 13), f: [61, null] },
      { ...bar(120_800, 7, 14), f: [null, 4] },
    ];
    expect(drawnBars(bars).map((b) => [b.time, b.close, b.row, b.values])).toEqual([
      [60, 11, 1, [40, 2]],
      [120, 14, 5, [61, 4]],
    ]);
  });

  it('a finer window spliced into the overview brings its own values, the overview keeps its values outside it', () => {
    const asked = [rsi];
    const overview = attachFeatures([bar(0, 0), bar(3_600_000, 60), bar(7_200_000, 120)], [{ ...rsi, values: [30, 31, 32] }], asked);
    const detail = attachFeatures([bar(3_600_000, 60), bar(3_660_000, 61), bar(3_720_000, 62)], [{ ...rsi, values: [50, 51, 52] }], asked);
    const spliced = drawnBars(spliceDetail(overview, detail, 3_600_000, 3_720_000));
    expect(spliced.map((b) => [b.time, b.values[0]])).toEqual([
      [0, 30],
      [3600, 50],
      [3660, 51],
      [3720, 52],
      [7200, 32],
    ]);
    // issues still mark the bar that holds their rows
    expect(barTimesForRows(spliceDetail(overview, detail, 3_600_000, 3_720_000), [61, 119])).toEqual([3660, 3720]);
  });
});

describe('indicators from feature sets', () => {
  const momentum: FeatureDataset = {
    path: MOMENTUM,
    set: 'momentum_indicators',
    columns: ['timestamp:Timestamp<MICROSECOND, UTC>', 'asset:Utf8', 'rsi_14:Float64', 'macd_line:Float64', 'macd_signal:Float64', 'macd_histogram:Float64', 'momentum_10:Float64', 'roc_10:Float64'].map((c) => {
      const [name, type] = c.split(':');
      return { name, type };
    }),
  };
  const volatility: FeatureDataset = { path: VOL, set: 'price_volatility', columns: [{ name: 'timestamp', type: 'Timestamp<NANOSECOND, UTC>' }, { name: 'realized_vol_30d', type: 'Float64' }, { name: 'atr_14', type: 'Float64' }] };

  it('offers MACD as its line, signal and histogram, then every other numeric column, keys left out', () => {
    const choices = indicatorChoices([momentum, volatility]);
    expect(choices.map((c) => [c.key, c.label, c.set, c.lines.map((l) => `${l.column}:${l.style}`)])).toEqual([
      [`${MOMENTUM} macd`, 'MACD (line, signal, histogram)', 'momentum_indicators', ['macd_line:line', 'macd_signal:line', 'macd_histogram:histogram']],
      [`${MOMENTUM} rsi_14`, 'RSI 14', 'momentum_indicators', ['rsi_14:line']],
      [`${MOMENTUM} momentum_10`, 'Momentum 10', 'momentum_indicators', ['momentum_10:line']],
      [`${MOMENTUM} roc_10`, 'ROC 10', 'momentum_indicators', ['roc_10:line']],
      [`${VOL} realized_vol_30d`, 'Realized vol 30d', 'price_volatility', ['realized_vol_30d:line']],
      [`${VOL} atr_14`, 'ATR 14', 'price_volatility', ['atr_14:line']],
    ]);
    // without all three MACD columns, each is a choice of its own
    expect(indicatorChoices([{ ...momentum, columns: momentum.columns.filter((c) => c.name !== 'macd_signal') }]).map((c) => c.label)).toEqual([
      'RSI 14',
      'MACD line',
      'MACD histogram',
      'Momentum 10',
      'ROC 10',
    ]);
    expect(indicatorLabel('custom_score')).toBe('custom_score');
  });

  it('asks for each column once, in the order the indicators were added, and finds each line in the answer', () => {
    const [macd, rsiChoice, , , , atrChoice] = indicatorChoices([momentum, volatility]);
    const active: ActiveIndicator[] = [
      { ...rsiChoice, place: 'pane' },
      { ...atrChoice, place: 'overlay' },
      { ...macd, place: 'pane' },
      { ...rsiChoice, key: 'again', place: 'overlay' },
    ];
    const request = featureRequest(active);
    expect(request).toEqual([rsi, atr, { path: MOMENTUM, column: 'macd_line' }, { path: MOMENTUM, column: 'macd_signal' }, { path: MOMENTUM, column: 'macd_histogram' }]);
    expect(macd.lines.map((line) => featureIndex(request, line))).toEqual([2, 3, 4]);
    expect(featureIndex(request, { path: VOL, column: 'true_range', style: 'line' })).toBe(-1);
  });

  it('legend values: two decimals from 1 up, three significant digits below, a dash for none', () => {
    expect([63.274_51, -12.5, 0.012_345, -0.000_456_7, 0, null, Number.NaN].map(formatIndicator)).toEqual(['63.27', '-12.50', '0.0123', '-0.000457', '0.00', '—', '—']);
  });

  it("finds the newest version of each set built for the asset: by the asset's folder when sets are kept per asset, else by the sidecar's asset", async () => {
    const version = (path: string, n: number): CatalogNodeDto => ({ kind: 'version', name: `v${n}`, path, version: n });
    // one folder per set, the versions of every asset in it (the sidecar names the asset)
    const flat: CatalogNodeDto = {
      kind: 'layer',
      name: 'features',
      path: 'features',
      children: [
        { kind: 'featureSet', name: 'momentum_indicators', path: 'features/momentum_indicators', children: [version('features/v1/momentum_indicators', 1), version('features/v2/momentum_indicators', 2), version('features/v3/momentum_indicators', 3)] },
        { kind: 'featureSet', name: 'price_volatility', path: 'features/price_volatility', children: [version('features/v1/price_volatility', 1)] },
      ],
    };
    const sidecars: Record<string, string> = { 'features/v1/momentum_indicators': 'MES', 'features/v2/momentum_indicators': 'MES', 'features/v3/momentum_indicators': 'ES', 'features/v1/price_volatility': 'ES' };
    const asked: string[] = [];
    const assetOf = (path: string) => {
      asked.push(path);
      return Promise.resolve(sidecars[path] ?? null);
    };
    expect(await assetFeatureVersions(flat, 'MES', assetOf)).toEqual([{ path: 'features/v2/momentum_indicators', set: 'momentum_indicators' }]);
    expect(asked).toEqual(['features/v3/momentum_indicators', 'features/v2/momentum_indicators', 'features/v1/price_volatility']);
    // kept per asset: the asset's folder is in the path, no sidecar is read
    asked.length = 0;
    const perAsset: CatalogNodeDto = {
      kind: 'layer',
      name: 'features',
      path: 'features',
      children: [
        {
          kind: 'asset',
          name: 'MES',
          path: 'features/MES',
          children: [{ kind: 'featureSet', name: 'momentum_indicators', path: 'features/MES/momentum_indicators', children: [version('features/v1/MES/momentum_indicators', 1), version('features/v2/MES/momentum_indicators', 2)] }],
        },
        { kind: 'asset', name: 'ES', path: 'features/ES', children: [{ kind: 'featureSet', name: 'momentum_indicators', path: 'features/ES/momentum_indicators', children: [version('features/v3/ES/momentum_indicators', 3)] }] },
      ],
    };
    expect(await assetFeatureVersions(perAsset, 'MES', assetOf)).toEqual([{ path: 'features/v2/MES/momentum_indicators', set: 'momentum_indicators' }]);
    expect(await assetFeatureVersions(perAsset, 'NQ', assetOf)).toEqual([]);
    expect(asked).toEqual(['features/v3/ES/momentum_indicators', 'features/v2/MES/momentum_indicators', 'features/v1/MES/momentum_indicators']);
  });
});
