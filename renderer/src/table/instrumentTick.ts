import { DEFAULT_PRICE_TICK } from './numberFormat.ts';

/**
 * The contract root a store path is about: `raw/MES/2024-01-15/…` and `cleaned/v3/MES/…`
 * → `MES`; null for feature sets and files outside a store.
 */
export function assetOfPath(path: string): string | null {
  const parts = path.split('/');
  if (parts[0] === 'raw' && parts[1]) return parts[1];
  if (parts[0] === 'cleaned' && /^v\d+$/.test(parts[1] ?? '') && parts[2]) return parts[2];
  return null;
}

/**
 * The tick price columns are written to: the instrument registry's tick size (built-ins for
 * the CME contracts, plus the store's own), else the CME equity-index quarter point for
 * instruments without one. numberFormat still writes any digits a value has beyond its
 * tick, so a wrong guess never hides a digit.
 */
export function tickOrDefault(tickSize: number | null | undefined): number {
  return typeof tickSize === 'number' && tickSize > 0 && Number.isFinite(tickSize) ? tickSize : DEFAULT_PRICE_TICK;
}
