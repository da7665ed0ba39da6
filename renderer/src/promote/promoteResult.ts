import { parseReport, type Report } from '../validate/validationReport.ts';

/**
 * The promote job's result (CLI.md: `{version, path, rows, inputs, report, dropped, status}`),
 * and the gate check of a dry run, which either succeeds with the report or fails with
 * VALIDATION_GATE carrying the report in its details.
 */

export interface PromoteView {
  version: string | null;
  path: string | null;
  rows: number | null;
  inputs: { path: string; sha256: string | null }[];
  report: Report | null;
  dropped: Record<string, number>;
  status: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function parsePromoteResult(value: unknown): PromoteView {
  const top = isRecord(value) ? value : {};
  const dropped: Record<string, number> = {};
  if (isRecord(top.dropped)) for (const [k, v] of Object.entries(top.dropped)) if (typeof v === 'number') dropped[k] = v;
  return {
    version: typeof top.version === 'string' ? top.version : typeof top.version === 'number' ? `v${top.version}` : null,
    path: typeof top.path === 'string' ? top.path : null,
    rows: typeof top.rows === 'number' ? top.rows : null,
    inputs: Array.isArray(top.inputs)
      ? top.inputs.filter(isRecord).map((i) => ({ path: typeof i.path === 'string' ? i.path : '', sha256: typeof i.sha256 === 'string' ? i.sha256 : null }))
      : [],
    report: parseReport(top.report ?? top),
    dropped,
    status: typeof top.status === 'string' ? top.status : '',
  };
}

/** Rows the drop policy removes, in total. */
export function droppedTotal(view: PromoteView): number {
  return Object.values(view.dropped).reduce((sum, n) => sum + n, 0);
}

/** The store path of the new version: the result's path when it is store-relative, else `cleaned/{version}/{asset}`. */
export function versionPathOf(view: PromoteView, asset: string): string | null {
  if (view.path && !view.path.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(view.path)) return view.path.replace(/\/+$/, '');
  if (view.path) {
    const match = /(cleaned\/v\d+\/[^/\\]+)/.exec(view.path.replace(/\\/g, '/'));
    if (match) return match[1];
  }
  return view.version ? `cleaned/${view.version}/${asset}` : null;
}
