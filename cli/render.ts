/** Text for people: the same values as the JSON output, laid out as aligned columns. */

function cellText(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

const MAX_CELL = 40;

export function renderGrid(headers: string[], rows: string[][]): string {
  const clip = (text: string) => (text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text);
  const clipped = rows.map((row) => row.map(clip));
  const widths = headers.map((header, k) => Math.max(header.length, ...clipped.map((row) => row[k].length)));
  const line = (cells: string[]) => cells.map((cell, k) => cell.padEnd(widths[k])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...clipped.map(line)].join('\n');
}

export function renderRows(columns: { name: string; type: string }[], rows: Record<string, unknown>[], firstRow: number): string {
  const headers = ['#', ...columns.map((c) => c.name)];
  const body = rows.map((row, i) => [String(firstRow + i), ...columns.map((c) => cellText(row[c.name] ?? null))]);
  return renderGrid(headers, body);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function cellToText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** A count with its noun: `1 row`, `2,400 rows`, `1 file`. */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : plural}`;
}
