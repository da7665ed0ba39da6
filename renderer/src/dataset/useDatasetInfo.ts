import { useEffect, useState } from 'react';
import type { ApiResponse } from '../../../core/api/contract.js';
import { invoke } from '../api/transport';

export type DatasetInfo = ApiResponse<'dataset.info'>;

type InfoState = { status: 'loading' } | { status: 'ready'; info: DatasetInfo } | { status: 'error'; error: unknown };

/** `dataset.info` of a path: footers, sidecar and lineage; fetched again when the store changes. */
export function useDatasetInfo(path: string, version: number): InfoState {
  const [state, setState] = useState<InfoState>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    setState({ status: 'loading' });
    invoke('dataset.info', { path }).then(
      (info) => live && setState({ status: 'ready', info }),
      (error: unknown) => live && setState({ status: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [path, version]);
  return state;
}
