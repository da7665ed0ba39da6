/** Small helpers shared by the benchmark script and its child processes. */
import type { ApiRequest, ApiResponse } from '../core/api/contract.js';
import type { ApiSession } from '../core/api/handlers.js';
import { seededRandom } from '../core/demo/seededRandom.js';

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stat(samples: number[]): Stat {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** Milliseconds of one call of `fn`, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const value = await fn();
  return [performance.now() - start, value];
}

export function fmtMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** The median, with the range and the number of runs when there was more than one. */
export function fmtStat(s: Stat): string {
  if (s.n === 1) return `${fmtMs(s.median)} (n=1)`;
  return `${fmtMs(s.median)} [${fmtMs(s.min)}–${fmtMs(s.max)}, n=${s.n}]`;
}

/** Bytes in MB (10^6 bytes). */
export function fmtMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function fmtRatio(ours: number, theirs: number): string {
  if (!(theirs > 0)) return '–';
  const r = ours / theirs;
  return `×${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2)}`;
}

/** A deterministic PRNG (mulberry32): the same random pages on every run. */
export const mulberry32 = seededRandom;

/** `count` page offsets spread at random over a file of `numRows` rows. */
export function randomOffsets(count: number, numRows: number, pageRows: number, seed: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => Math.floor(random() * (numRows - pageRows)));
}

/** A Markdown table; cells are plain strings. */
export function mdTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The document with one section (a generated part starting with its `## ` heading) put in
 * place of the section with the same heading, or added at the end when there is none.
 */
export function replaceSection(doc: string, part: string): string {
  const heading = part.split('\n', 1)[0];
  const lines = doc.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) return `${doc.trimEnd()}\n\n${part.trimEnd()}\n`;
  let end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  if (end < 0) end = lines.length;
  return [...lines.slice(0, start), ...part.trimEnd().split('\n'), '', ...lines.slice(end)].join('\n');
}

/** Runs jobs one after another in `session`, each to its end (`onDone` hears each one's time); throws naming the kind of one that did not succeed. */
export async function runJobsToEnd(session: ApiSession, jobs: readonly ApiRequest<'jobs.start'>[], onDone?: (params: ApiRequest<'jobs.start'>, ms: number) => void): Promise<void> {
  for (const params of jobs) {
    const started = performance.now();
    let job = (await session.invoke('jobs.start', params)) as ApiResponse<'jobs.start'>;
    while (job.state === 'queued' || job.state === 'running') job = (await session.invoke('jobs.wait', { id: job.id, timeoutMs: 600_000 })) as ApiResponse<'jobs.wait'>;
    if (job.state !== 'succeeded') throw new Error(`${params.kind} ended ${job.state}: ${job.error?.message ?? ''}`);
    onDone?.(params, performance.now() - started);
  }
}
