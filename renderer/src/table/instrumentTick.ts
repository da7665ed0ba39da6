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
 * The tick size price columns of an asset are written to. The hook for the instrument
 * registry (tick sizes per contract, kept in the store): until the API contract carries
 * it, every asset gets the CME equity-index quarter point, and numberFormat still writes
 * any digits a value has beyond its tick, so no price is misread either way.
 */
export function priceTickFor(asset: string | null, registryTicks: ReadonlyMap<string, number> = new Map()): number {
  const tick = asset === null ? undefined : registryTicks.get(asset.toUpperCase());
  return tick !== undefined && tick > 0 && Number.isFinite(tick) ? tick : DEFAULT_PRICE_TICK;
}
