/**
 * Wall time per phase of one operation, printed to stderr when MES_DATA_PROFILE=1 (one line:
 * `[profile] promote MES: sidecars 0.41 s, gate 2.10 s, …, total 9.80 s`). Off, it records
 * nothing and prints nothing.
 */
export class PhaseProfile {
  private readonly enabled = process.env.MES_DATA_PROFILE === '1';
  private readonly began = performance.now();
  private last = this.began;
  private readonly phases: [string, number][] = [];

  constructor(private readonly label: string) {}

  /** Ends the phase running since the previous mark (or the start) under `name`. */
  mark(name: string): void {
    if (!this.enabled) return;
    const now = performance.now();
    const seen = this.phases.find((p) => p[0] === name);
    if (seen) seen[1] += now - this.last;
    else this.phases.push([name, now - this.last]);
    this.last = now;
  }

  /** Prints the phases and the total (nothing when profiling is off). */
  print(): void {
    if (!this.enabled) return;
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    process.stderr.write(`[profile] ${this.label}: ${this.phases.map(([name, ms]) => `${name} ${s(ms)}`).join(', ')}, total ${s(performance.now() - this.began)}\n`);
  }
}
