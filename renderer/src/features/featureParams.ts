import { FEATURE_PARAMETER_DEFAULTS, FEATURE_SET_PARAMETERS, type FeatureParameterName, type FeatureParameters, type FeatureSetName } from '../../../core/api/contract.js';
import type { CatalogNode } from '../tree/treeModel.ts';

/**
 * The feature build dialog's model: the sets and their parameters (defaults from the
 * contract, as docs/features.md lists them), the fields' text checked into a request, and
 * the cleaned versions an asset can be built from, as the tree lists them. Pure functions.
 */

export const FEATURE_SETS: readonly { set: FeatureSetName; label: string; what: string }[] = [
  { set: 'momentum_indicators', label: 'Momentum indicators', what: 'RSI, MACD with signal and histogram, momentum and rate of change: one row per bar' },
  { set: 'price_volatility', label: 'Price volatility', what: 'realized volatility over two windows, their ratio, true range and ATR: one row per trading date' },
  { set: 'volume_profile', label: 'Volume profile', what: 'volume per price level, point of control and value area: rows per session' },
];

interface ParameterField {
  name: FeatureParameterName;
  label: string;
  /** the unit or what the value counts */
  unit: string;
  defaultValue: number;
  integer: boolean;
  /** inclusive bounds; `above` is exclusive (the value must be greater) */
  min?: number;
  above?: number;
  max: number;
}

const FIELDS: Record<FeatureParameterName, Omit<ParameterField, 'name' | 'defaultValue'>> = {
  rsiPeriod: { label: 'RSI period', unit: 'bars', integer: true, min: 1, max: 10_000 },
  macdFast: { label: 'MACD fast', unit: 'bars', integer: true, min: 1, max: 10_000 },
  macdSlow: { label: 'MACD slow', unit: 'bars', integer: true, min: 1, max: 10_000 },
  macdSignal: { label: 'MACD signal', unit: 'bars', integer: true, min: 1, max: 10_000 },
  momentumPeriod: { label: 'Momentum / ROC period', unit: 'bars', integer: true, min: 1, max: 10_000 },
  volShortWindow: { label: 'Short volatility window', unit: 'trading days', integer: true, min: 2, max: 10_000 },
  volLongWindow: { label: 'Long volatility window', unit: 'trading days', integer: true, min: 2, max: 10_000 },
  atrPeriod: { label: 'ATR period', unit: 'trading days', integer: true, min: 1, max: 10_000 },
  tickSize: { label: 'Price bucket', unit: 'price units', integer: false, above: 0, max: 1_000_000 },
  valueAreaShare: { label: 'Value area share', unit: 'of the volume, 0–1', integer: false, above: 0, max: 1 },
};

/** The parameters of a set, in the order the dialog shows them. */
export function parameterFields(set: FeatureSetName): ParameterField[] {
  return FEATURE_SET_PARAMETERS[set].map((name) => ({ name, defaultValue: FEATURE_PARAMETER_DEFAULTS[name], ...FIELDS[name] }));
}

/** The fields' text with every parameter of the set at its default. */
export function defaultTexts(set: FeatureSetName): Record<string, string> {
  return Object.fromEntries(parameterFields(set).map((f) => [f.name, String(f.defaultValue)]));
}

/**
 * The fields' text as the request's parameters, or what is wrong with each field (the words
 * shown under it). Only the set's own parameters are read; an empty field is its default.
 */
export function parseParameters(set: FeatureSetName, texts: Readonly<Record<string, string>>): { parameters: FeatureParameters; errors: Partial<Record<FeatureParameterName, string>> } {
  const parameters: FeatureParameters = {};
  const errors: Partial<Record<FeatureParameterName, string>> = {};
  for (const field of parameterFields(set)) {
    const text = (texts[field.name] ?? '').trim();
    const value = text === '' ? field.defaultValue : Number(text);
    if (!Number.isFinite(value)) errors[field.name] = `${field.label} must be a number`;
    else if (field.integer && !Number.isInteger(value)) errors[field.name] = `${field.label} must be a whole number of ${field.unit}`;
    else if (field.min !== undefined && value < field.min) errors[field.name] = `${field.label} must be at least ${field.min}`;
    else if (field.above !== undefined && value <= field.above) errors[field.name] = `${field.label} must be above ${field.above}`;
    else if (value > field.max) errors[field.name] = `${field.label} must be at most ${field.max.toLocaleString('en-US')}`;
    else parameters[field.name] = value;
  }
  if (set === 'momentum_indicators' && !errors.macdFast && !errors.macdSlow && (parameters.macdFast ?? 0) >= (parameters.macdSlow ?? 0)) {
    errors.macdFast = `MACD fast must be shorter than MACD slow (${parameters.macdSlow})`;
  }
  return { parameters, errors };
}

/** The parameters that differ from their defaults, as `rsiPeriod 21, macdFast 8` (empty for the defaults). */
export function changedParameters(parameters: FeatureParameters): string {
  return (Object.entries(parameters) as [FeatureParameterName, number | undefined][])
    .filter(([name, value]) => value !== undefined && value !== FEATURE_PARAMETER_DEFAULTS[name])
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');
}

interface SourceVersion {
  /** `v2` */
  version: string;
  path: string;
  rows: number | null;
  createdAt: string | null;
}

/** The assets with at least one cleaned version, as the tree lists them (in its order). */
export function cleanedAssets(tree: CatalogNode | null): string[] {
  const layer = tree?.children?.find((c) => c.kind === 'layer' && c.path === 'cleaned');
  return (layer?.children ?? []).filter((c) => (c.children ?? []).some((v) => v.kind === 'version')).map((c) => c.name);
}

/** The cleaned versions of an asset, newest first. */
export function sourceVersions(tree: CatalogNode | null, asset: string): SourceVersion[] {
  const layer = tree?.children?.find((c) => c.kind === 'layer' && c.path === 'cleaned');
  const group = (layer?.children ?? []).find((c) => c.name === asset);
  return (group?.children ?? [])
    .filter((v) => v.kind === 'version' && typeof v.version === 'number')
    .sort((a, b) => (b.version ?? 0) - (a.version ?? 0))
    .map((v) => ({ version: `v${v.version}`, path: v.path, rows: v.rows ?? null, createdAt: v.createdAt ?? null }));
}

/** The cleaned version a path lies in (`cleaned/v2/MES/…` → v2), or undefined. */
export function cleanedVersionOfPath(path: string | null): string | undefined {
  return path ? /^cleaned\/(v\d+)\//.exec(`${path}/`)?.[1] : undefined;
}

/** The asset a path is about (`raw/MES/…`, `cleaned/v2/MES`, `cleaned/MES` → MES), or null. */
export function assetOfPath(path: string | null): string | null {
  if (!path) return null;
  const match = /^(?:raw|cleaned)\/(?:v\d+\/)?([^/]+)/.exec(path);
  return match ? match[1] : null;
}
