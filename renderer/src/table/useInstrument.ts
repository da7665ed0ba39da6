import { useEffect, useState } from 'react';
import { invoke } from '../api/transport';
import { EXCHANGE_ZONE } from './cellFormat.ts';
import { assetOfPath, tickOrDefault } from './instrumentTick.ts';

/** What the table and the chart take from a dataset's instrument: its price tick and its exchange's zone. */
interface InstrumentLook {
  tick: number;
  /** the zone "Exchange time" shows (the instrument's: America/New_York for a stock on NYSE) */
  zone: string;
}

const fallback: InstrumentLook = { tick: tickOrDefault(null), zone: EXCHANGE_ZONE };

/**
 * The tick and exchange zone of the instrument a dataset path is about, from the store's
 * instrument registry (`instruments.get`, with the generic fallback for unknown symbols).
 * Until it answers, and when it cannot (no asset in the path, an older host), the CME
 * defaults: a quarter point and America/Chicago.
 */
export function useInstrument(path: string | null): InstrumentLook {
  const asset = path === null ? null : assetOfPath(path);
  const [look, setLook] = useState<{ asset: string | null; look: InstrumentLook }>({ asset: null, look: fallback });
  useEffect(() => {
    if (asset === null) return;
    let live = true;
    invoke('instruments.get', { symbol: asset, fallback: true }).then(
      (instrument) => {
        if (live) setLook({ asset, look: { tick: tickOrDefault(instrument.tickSize), zone: instrument.timeZone || EXCHANGE_ZONE } });
      },
      // the defaults stay: formatting never depends on the registry answering
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [asset]);
  return look.asset === asset ? look.look : fallback;
}
