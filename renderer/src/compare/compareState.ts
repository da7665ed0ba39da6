import { setNotice } from '../state/actions.ts';
import { appStore } from '../state/appState.ts';
import { createStore, useStore } from '../state/store.ts';
import { defaultPair, versionGroupOf } from './compareModel.ts';

/**
 * Which two versions the compare view shows (A the older, B the newer, by store path), or
 * null when it is closed. Opening another dataset anywhere closes it.
 */
interface CompareState {
  pair: { a: string; b: string } | null;
}

const compareStore = createStore<CompareState>({ pair: null });

export function useCompare<T>(selector: (state: CompareState) => T): T {
  return useStore(compareStore, selector);
}

let selectedBefore = appStore.get().selected;
appStore.subscribe(() => {
  const { selected } = appStore.get();
  if (selected === selectedBefore) return;
  selectedBefore = selected;
  if (compareStore.get().pair) compareStore.set({ pair: null });
});

/** "Compare…" on a version: it beside the version before it (or, for the first, after it). */
export function openCompare(path: string | null): void {
  if (!path || !versionGroupOf(path)) {
    setNotice('Pick a cleaned version or a feature set version to compare it with another');
    return;
  }
  const pair = defaultPair(appStore.get().tree, path);
  if (!pair) {
    setNotice(`${path} is the only version of ${versionGroupOf(path) ?? path}: nothing to compare it with`);
    return;
  }
  compareStore.set({ pair });
}

export function setPair(a: string, b: string): void {
  compareStore.set({ pair: { a, b } });
}

export function closeCompare(): void {
  compareStore.set({ pair: null });
}
