import type { FlatNode } from './treeModel.ts';

/**
 * Keyboard behaviour of the dataset tree, after the WAI-ARIA tree view pattern: ↑/↓ move,
 * → opens a closed node or goes to the first child, ← closes an open node or goes to the
 * parent, Home/End go to the first/last row, Enter or Space opens the dataset, `*` opens
 * every sibling, and typing letters jumps to the next row whose name starts with them.
 */

type TreeAction =
  | { type: 'focus'; index: number }
  | { type: 'expand'; path: string; index: number }
  | { type: 'collapse'; path: string; index: number }
  | { type: 'activate'; index: number }
  | { type: 'expandAll'; paths: string[] }
  | null;

export function treeKeyAction(flat: readonly FlatNode[], focus: number, key: string): TreeAction {
  if (flat.length === 0) return null;
  const index = Math.min(Math.max(focus, 0), flat.length - 1);
  const current = flat[index];
  switch (key) {
    case 'ArrowDown':
      return { type: 'focus', index: Math.min(flat.length - 1, index + 1) };
    case 'ArrowUp':
      return { type: 'focus', index: Math.max(0, index - 1) };
    case 'Home':
      return { type: 'focus', index: 0 };
    case 'End':
      return { type: 'focus', index: flat.length - 1 };
    case 'PageDown':
      return { type: 'focus', index: Math.min(flat.length - 1, index + 10) };
    case 'PageUp':
      return { type: 'focus', index: Math.max(0, index - 10) };
    case 'ArrowRight':
      if (!current.expandable) return null;
      if (!current.expanded) return { type: 'expand', path: current.node.path, index };
      // open: go to the first child when there is one on screen
      if (index + 1 < flat.length && flat[index + 1].parentPath === current.node.path) return { type: 'focus', index: index + 1 };
      return null;
    case 'ArrowLeft': {
      if (current.expandable && current.expanded) return { type: 'collapse', path: current.node.path, index };
      if (current.parentPath === null) return null;
      const parent = flat.findIndex((row) => row.node.path === current.parentPath);
      return parent >= 0 ? { type: 'focus', index: parent } : null;
    }
    case 'Enter':
    case ' ':
      return { type: 'activate', index };
    case '*': {
      const paths = flat.filter((row) => row.parentPath === current.parentPath && row.expandable && !row.expanded).map((row) => row.node.path);
      return paths.length > 0 ? { type: 'expandAll', paths } : null;
    }
    default:
      return null;
  }
}

/**
 * Type-ahead: the next row after `focus` (wrapping) whose name starts with `text`
 * (case-insensitive); the current row counts only when more than one letter was typed,
 * so that typing "M" repeatedly walks through every M.
 */
export function typeAheadIndex(flat: readonly FlatNode[], focus: number, text: string): number | null {
  if (!text || flat.length === 0) return null;
  const needle = text.toLowerCase();
  const start = text.length > 1 ? focus : focus + 1;
  for (let k = 0; k < flat.length; k++) {
    const i = (((start + k) % flat.length) + flat.length) % flat.length;
    if (flat[i].node.name.toLowerCase().startsWith(needle)) return i;
  }
  return null;
}

/** A printable single character that feeds type-ahead (not a modifier chord). */
export function isTypeAheadKey(key: string, modifiers: { ctrl: boolean; meta: boolean; alt: boolean }): boolean {
  return key.length === 1 && key !== ' ' && key !== '*' && !modifiers.ctrl && !modifiers.meta && !modifiers.alt;
}
