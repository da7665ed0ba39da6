import { useSyncExternalStore } from 'react';

/**
 * A small external store for the app's shared state: components read slices with
 * `useAppState(selector)` (React re-renders only those whose slice changed) and actions
 * update it with `setState`. Selectors must return values kept in the state (or
 * primitives), not objects made anew on each call.
 */
interface Store<S> {
  get: () => S;
  set: (update: Partial<S> | ((state: S) => Partial<S>)) => void;
  subscribe: (listener: () => void) => () => void;
}

export function createStore<S extends object>(initial: S): Store<S> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    set: (update) => {
      const patch = typeof update === 'function' ? update(state) : update;
      state = { ...state, ...patch };
      for (const listener of listeners) listener();
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useStore<S extends object, T>(store: Store<S>, selector: (state: S) => T): T {
  return useSyncExternalStore(store.subscribe, () => selector(store.get()));
}
