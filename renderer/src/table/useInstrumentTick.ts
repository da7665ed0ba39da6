import { useEffect, useState } from 'react';
import { invoke } from '../api/transport';
import { assetOfPath, tickOrDefault } from './instrumentTick.ts';

/**
 * The price tick of the instrument a dataset path is about, from the store's instrument
 * registry (`instruments.get`, with the generic fallback for unknown symbols). Until it
 * answers, and when it cannot (no asset in the path, an older host), the default tick.
 */
export function useInstrumentTick(path: string): number {
  const asset = assetOfPath(path);
  const [tick, setTick] = useState<{ asset: string | null; tick: number }>({ asset: null, tick: tickOrDefault(null) });
  useEffect(() => {
    if (asset === null) return;
    let live = true;
    invoke('instruments.get', { symbol: asset, fallback: true }).then(
      (instrument) => {
        if (live) setTick({ asset, tick: tickOrDefault(instrument.tickSize) });
      },
      // the default tick stays: formatting never depends on the registry answering
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [asset]);
  return tick.asset === asset ? tick.tick : tickOrDefault(null);
}
