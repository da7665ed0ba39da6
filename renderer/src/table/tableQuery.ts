import type { ApiRequest } from '../../../core/api/contract.js';
import { isNumericType, isTimestampType } from './cellFormat.ts';

/**
 * The table's sort and filters, as the user set them, and the `rows.query` request they make.
 * No React: DataTable keeps a `TableQueryState` and asks this module what a click or an
 * input does.
 */

interface SortKey {
  column: string;
  descending: boolean;
}

/** What is typed in a column's filter cells: a range (numbers, times) or a text match. */
export interface FilterInput {
  min: string;
  max: string;
  text: string;
}

export interface TableQueryState {
  sort: SortKey[];
  filters: Record<string, FilterInput>;
}

export const EMPTY_QUERY: TableQueryState = { sort: [], filters: {} };

type Filter = NonNullable<ApiRequest<'rows.query'>['filters']>[number];

/** A header click: ascending, then descending, then no sort on that column (one sort column at a time). */
export function nextSort(sort: SortKey[], column: string): SortKey[] {
  const current = sort.find((s) => s.column === column);
  if (!current) return [{ column, descending: false }];
  if (!current.descending) return [{ column, descending: true }];
  return [];
}

/** A typed time as an instant for the host: a date alone is its midnight, a time without a zone is UTC. */
export function instantText(text: string): string {
  const value = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00Z`;
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return `${value.replace(' ', 'T')}Z`;
  return value;
}

/** The filters of the inputs that hold something, for the columns there are (types decide range or text). */
export function requestFilters(columns: readonly { name: string; type: string }[], filters: Record<string, FilterInput>): Filter[] {
  const out: Filter[] = [];
  for (const column of columns) {
    const input = filters[column.name];
    if (!input) continue;
    const ranged = isNumericType(column.type) || isTimestampType(column.type);
    if (ranged) {
      const bound = (text: string) => (text.trim() === '' ? undefined : isTimestampType(column.type) ? instantText(text) : text.trim());
      const min = bound(input.min);
      const max = bound(input.max);
      if (min !== undefined || max !== undefined) out.push({ column: column.name, kind: 'range', ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
    } else if (input.text.trim() !== '') {
      out.push({ column: column.name, kind: 'text', match: 'contains', value: input.text.trim() });
    }
  }
  return out;
}

/** True when the table shows the dataset as it is (then it pages with rows.page). */
export function isPlain(columns: readonly { name: string; type: string }[], state: TableQueryState): boolean {
  return state.sort.length === 0 && requestFilters(columns, state.filters).length === 0;
}
