import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { openCompare } from '../compare/compareState';
import { versionGroupOf } from '../compare/compareModel';
import { openDataset } from '../state/actions';
import { isOpenable, type CatalogNode, type FlatNode } from './treeModel';
import './contextMenu.css';

interface MenuItem {
  label: string;
  shortcut?: string;
  run: () => void;
}

/** What a tree node's menu offers: open it, and for a version, compare it with another. */
function itemsFor(node: CatalogNode): MenuItem[] {
  const items: MenuItem[] = [];
  if (isOpenable(node)) items.push({ label: 'Open', shortcut: 'Enter', run: () => openDataset(node.path) });
  if (node.kind === 'version' && versionGroupOf(node.path)) {
    items.push({
      label: 'Compare…',
      shortcut: 'Ctrl+Shift+D',
      run: () => {
        openDataset(node.path);
        openCompare(node.path);
      },
    });
  }
  return items;
}

function Menu({ x, y, node, items, onClose }: { x: number; y: number; node: CatalogNode; items: MenuItem[]; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const away = (event: globalThis.MouseEvent) => {
      if (!ref.current?.contains(event.target as Node)) onClose();
    };
    window.addEventListener('mousedown', away);
    return () => window.removeEventListener('mousedown', away);
  }, [onClose]);
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const buttons = Array.from(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);
    const at = buttons.indexOf(document.activeElement as HTMLElement);
    if (event.key === 'Escape' || event.key === 'Tab') {
      event.preventDefault();
      event.stopPropagation();
      onClose();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      buttons[(at + (event.key === 'ArrowDown' ? 1 : buttons.length - 1)) % buttons.length]?.focus();
    }
  };
  return (
    <div ref={ref} className="context-menu" role="menu" aria-label={`Actions on ${node.path}`} style={{ left: x, top: y }} onKeyDown={onKeyDown} data-testid="tree-context-menu">
      {items.map((item) => (
        <button
          key={item.label}
          type="button"
          role="menuitem"
          onClick={() => {
            onClose();
            item.run();
          }}
        >
          <span>{item.label}</span>
          {item.shortcut ? <kbd>{item.shortcut}</kbd> : null}
        </button>
      ))}
    </div>
  );
}

/**
 * The tree's context menu: a right click on a row, or the menu key / Shift+F10 on the
 * focused one. Returns the handlers for the tree element and the menu to render.
 */
export function useTreeContextMenu(rows: FlatNode[], focused: FlatNode | undefined) {
  const [menu, setMenu] = useState<{ x: number; y: number; node: CatalogNode } | null>(null);
  const close = useCallback(() => setMenu(null), []);
  const show = (node: CatalogNode, x: number, y: number): boolean => {
    if (itemsFor(node).length === 0) return false;
    setMenu({ x, y, node });
    return true;
  };
  const onContextMenu = (event: MouseEvent<HTMLElement>) => {
    const path = (event.target as HTMLElement).closest<HTMLElement>('[role="treeitem"]')?.dataset.path;
    const row = rows.find((r) => r.node.path === path);
    if (row && show(row.node, event.clientX, event.clientY)) event.preventDefault();
  };
  /** True when the key opened the menu. */
  const onKey = (event: KeyboardEvent<HTMLElement>): boolean => {
    if (!(event.key === 'ContextMenu' || (event.shiftKey && event.key === 'F10')) || !focused) return false;
    const box = document.getElementById(`tree-${focused.node.path.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`)?.getBoundingClientRect();
    if (!show(focused.node, (box?.left ?? 0) + 24, box?.bottom ?? 0)) return false;
    event.preventDefault();
    return true;
  };
  const element = menu ? <Menu x={menu.x} y={menu.y} node={menu.node} items={itemsFor(menu.node)} onClose={close} /> : null;
  return { onContextMenu, onKey, element };
}
