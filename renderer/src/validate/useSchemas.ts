import { useEffect, useState } from 'react';
import type { ApiResponse } from '../../../core/api/contract.js';
import { invoke } from '../api/transport';

type SchemaInfo = ApiResponse<'schemas.list'>['schemas'][number];

/** The built-in and registered schemas, for pickers. */
export function useSchemas(): { schemas: SchemaInfo[]; error: unknown } {
  const [state, setState] = useState<{ schemas: SchemaInfo[]; error: unknown }>({ schemas: [], error: null });
  useEffect(() => {
    let live = true;
    invoke('schemas.list', {}).then(
      (result) => live && setState({ schemas: result.schemas, error: null }),
      (error: unknown) => live && setState({ schemas: [], error }),
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}
