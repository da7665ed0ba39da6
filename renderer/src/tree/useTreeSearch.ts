import { useEffect, useState } from 'react';
import type { ApiResponse } from '../../../core/api/contract.js';
import { invoke } from '../api/transport';
import { asErrorLike, type ErrorLike } from '../api/errorText';

type SearchResult = ApiResponse<'tree.search'>;

/** How long typing pauses before the host is asked. */
const DEBOUNCE_MS = 120;
/** Matches shown at most (the host counts the rest). */
const SEARCH_LIMIT = 1000;

interface TreeSearch {
  /** The answer for the query as typed now, or null while there is none (yet). */
  result: SearchResult | null;
  searching: boolean;
  error: ErrorLike | null;
}

/**
 * The host's `tree.search` for the query in the search box, asked once typing pauses and
 * again when the store changed (`dataVersion`); an answer to an older query is dropped.
 */
export function useTreeSearch(query: string, dataVersion: number): TreeSearch {
  const [state, setState] = useState<TreeSearch & { query: string }>({ query: '', result: null, searching: false, error: null });
  const trimmed = query.trim();
  useEffect(() => {
    if (trimmed === '') return;
    let current = true;
    setState((s) => ({ ...s, searching: true }));
    const timer = setTimeout(() => {
      invoke('tree.search', { query: trimmed, limit: SEARCH_LIMIT }).then(
        (result) => current && setState({ query: trimmed, result, searching: false, error: null }),
        (error: unknown) => current && setState({ query: trimmed, result: null, searching: false, error: asErrorLike(error) }),
      );
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [trimmed, dataVersion]);
  if (trimmed === '') return { result: null, searching: false, error: null };
  // the answer to an older query is kept on screen (no flicker) but marked as searching
  return { result: state.result, searching: state.searching || state.query !== trimmed, error: state.query === trimmed ? state.error : null };
}
