import { describe, expect, it } from 'vitest';
import { isTypeAheadKey, treeKeyAction, typeAheadIndex } from '../../../renderer/src/tree/treeKeyboard.ts';
import { flattenTree } from '../../../renderer/src/tree/treeModel.ts';
import { catalog } from './treeFixture.ts';

// raw -, ES +, MES -, 2024-01-02 +, 2024-01-03 +, cleaned +, features
const flat = flattenTree(catalog(), new Set(['raw', 'raw/MES']));
const at = (path: string) => flat.findIndex((r) => r.node.path === path);

describe('treeKeyAction', () => {
  it('moves with the arrows, Home, End and the page keys, stopping at the ends', () => {
    expect(treeKeyAction(flat, 0, 'ArrowDown')).toEqual({ type: 'focus', index: 1 });
    expect(treeKeyAction(flat, 0, 'ArrowUp')).toEqual({ type: 'focus', index: 0 });
    expect(treeKeyAction(flat, flat.length - 1, 'ArrowDown')).toEqual({ type: 'focus', index: flat.length - 1 });
    expect(treeKeyAction(flat, 3, 'Home')).toEqual({ type: 'focus', index: 0 });
    expect(treeKeyAction(flat, 3, 'End')).toEqual({ type: 'focus', index: flat.length - 1 });
    expect(treeKeyAction(flat, 0, 'PageDown')).toEqual({ type: 'focus', index: flat.length - 1 });
  });

  it('→ opens a closed node, then goes to its first child', () => {
    expect(treeKeyAction(flat, at('raw/ES'), 'ArrowRight')).toEqual({ type: 'expand', path: 'raw/ES', index: at('raw/ES') });
    expect(treeKeyAction(flat, at('raw/MES'), 'ArrowRight')).toEqual({ type: 'focus', index: at('raw/MES/2024-01-02') });
    // a closed node whose children are not loaded yet still opens (and loads)
    expect(treeKeyAction(flat, at('raw/MES/2024-01-03'), 'ArrowRight')).toEqual({ type: 'expand', path: 'raw/MES/2024-01-03', index: at('raw/MES/2024-01-03') });
    // a leaf does nothing
    expect(treeKeyAction(flat, at('features'), 'ArrowRight')).toBeNull();
  });

  it('← closes an open node, or goes to the parent', () => {
    expect(treeKeyAction(flat, at('raw/MES'), 'ArrowLeft')).toEqual({ type: 'collapse', path: 'raw/MES', index: at('raw/MES') });
    expect(treeKeyAction(flat, at('raw/MES/2024-01-03'), 'ArrowLeft')).toEqual({ type: 'focus', index: at('raw/MES') });
    expect(treeKeyAction(flat, at('cleaned'), 'ArrowLeft')).toBeNull();
  });

  it('Enter and Space open the dataset; * opens every closed sibling', () => {
    expect(treeKeyAction(flat, 2, 'Enter')).toEqual({ type: 'activate', index: 2 });
    expect(treeKeyAction(flat, 2, ' ')).toEqual({ type: 'activate', index: 2 });
    expect(treeKeyAction(flat, at('raw/MES/2024-01-02'), '*')).toEqual({ type: 'expandAll', paths: ['raw/MES/2024-01-02', 'raw/MES/2024-01-03'] });
    expect(treeKeyAction(flat, 0, 'x')).toBeNull();
    expect(treeKeyAction([], 0, 'ArrowDown')).toBeNull();
  });
});

describe('type-ahead', () => {
  it('jumps to the next row starting with the letters typed, wrapping', () => {
    expect(typeAheadIndex(flat, 0, 'm')).toBe(at('raw/MES'));
    expect(typeAheadIndex(flat, at('raw/MES'), 'c')).toBe(at('cleaned'));
    expect(typeAheadIndex(flat, at('features'), 'r')).toBe(0);
    // two letters match the current row too
    expect(typeAheadIndex(flat, at('raw/MES'), 'me')).toBe(at('raw/MES'));
    // one letter again moves on to the next match
    expect(typeAheadIndex(flat, at('raw/MES/2024-01-02'), '2')).toBe(at('raw/MES/2024-01-03'));
    expect(typeAheadIndex(flat, 0, 'zz')).toBeNull();
  });

  it('takes printable keys without modifiers only', () => {
    expect(isTypeAheadKey('m', { ctrl: false, meta: false, alt: false })).toBe(true);
    expect(isTypeAheadKey('m', { ctrl: true, meta: false, alt: false })).toBe(false);
    expect(isTypeAheadKey('ArrowDown', { ctrl: false, meta: false, alt: false })).toBe(false);
    expect(isTypeAheadKey(' ', { ctrl: false, meta: false, alt: false })).toBe(false);
  });
});
