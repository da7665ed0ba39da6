import { closeDialog } from '../state/actions';
import { Dialog } from './Dialog';

const SHORTCUTS: [string, string][] = [
  ['Ctrl+I', 'Ingest files (or drop them on the window)'],
  ['Ctrl+Shift+V', 'Validate the open dataset'],
  ['Ctrl+Shift+P', 'Promote the open raw asset'],
  ['Ctrl+Shift+F', 'Build features from a cleaned version'],
  ['Alt+J', 'Jobs: running and finished, with results and errors'],
  ['Ctrl+K', 'Search the whole tree (MES 2024-03): ↓ to the results, Enter opens'],
  ['Ctrl+G', 'Go to a row'],
  ['Ctrl+Shift+D', 'Compare the open version with the one before it'],
  ['Alt+1 … Alt+4', 'Table, Chart, Schema & stats, Metadata & lineage'],
  ['Alt+U', 'Switch timestamps between UTC and exchange time'],
  ['Alt+Z', 'Time range of the open table, typed in exchange time or UTC'],
  ['Alt+A', 'Open a version as of a moment, typed in exchange time or UTC'],
  ['Alt+R', 'Refresh the tree'],
  ['Alt+T', 'Focus the tree'],
  ['↑ ↓ ← → Home End', 'Move in the tree and the table'],
  ['Enter', 'Open the focused dataset'],
  ['Ctrl+C / Ctrl+Shift+C', 'Copy the selected cell / row'],
  ['Esc', 'Close a dialog'],
  ['?', 'This list'],
];

/** The keys and what they do: all of them, or the first `first` (the empty window's short list). */
export function ShortcutsTable({ first, compact = false }: { first?: number; compact?: boolean }) {
  return (
    <table className={compact ? 'data-table shortcuts compact' : 'data-table shortcuts'}>
      <tbody>
        {SHORTCUTS.slice(0, first).map(([keys, what]) => (
          <tr key={keys}>
            <td>
              <kbd>{keys}</kbd>
            </td>
            <td>{what}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ShortcutsDialog() {
  return (
    <Dialog title="Keyboard shortcuts" onClose={closeDialog} testId="shortcuts-dialog">
      <ShortcutsTable />
      <p className="muted small">On a Mac, use ⌘ for Ctrl.</p>
    </Dialog>
  );
}
