/**
 * Wall and CPU time per phase of one operation, printed to stderr when MES_DATA_PROFILE=1
 * (one line: `[profile] promote MES: sidecars 0.41 s (cpu 0.30 s), gate 2.10 s (cpu 3.52 s),
 * …, total 9.80 s (cpu 12.1 s)`). CPU time is the whole process's (every thread, DuckDB's
 * too), so it can exceed the wall time; on a loaded machine it is what a phase costs, where
 * the wall time adds its wait for a core. Off, it records nothing and prints nothing.
 */
export class PhaseProfile {
  private readonly enabled = process.env.MES_DATA_PROFILE === '1';
  private readonly began = performance.now();
  private readonly beganCpu = this.enabled ? process.cpuUsage() : null;
  private last = this.began;
  private lastCpu = this.beganCpu;
  private readonly phases: [string, number, number][] = [];

  constructor(private readonly label: string) {}

  /** Ends the phase running since the previous mark (or the start) under `name`. */
  mark(name: string): void {
    if (!this.enabled || !this.lastCpu) return;
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const seen = this.phases.find((p) => p[0] === name);
    if (seen) {
      seen[1] += now - this.last;
      seen[2] += cpuMs;
    } else this.phases.push([name, now - this.last, cpuMs]);
    this.last = now;
    this.lastCpu = process.cpuUsage();
  }

  /** Prints the phases and the total (nothing when profiling is off). */
  print(): void {
    if (!this.enabled || !this.beganCpu) return;
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const total = process.cpuUsage(this.beganCpu);
    const phases = this.phases.map(([name, ms, cpuMs]) => `${name} ${s(ms)} (cpu ${s(cpuMs)})`);
    process.stderr.write(`[profile] ${this.label}: ${phases.join(', ')}, total ${s(performance.now() - this.began)} (cpu ${s((total.user + total.system) / 1000)})\n`);
  }
}
