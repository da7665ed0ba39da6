/**
 * Files in the shape of real sessions, written as another zone's wall clock: what a trader
 * gets from a vendor in another exchange's local time.
 */

/** 30-minute bars of real CME sessions (17:00 CT the evening before to 15:30 CT) for two weeks from Monday 2024-02-05, written as wall-clock times of `zone`. */
export function cmeHalfHourBars(zone: string): string {
  const wall = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const lines = ['timestamp,open,high,low,close,volume'];
  let k = 0;
  for (const monday of [Date.UTC(2024, 1, 5), Date.UTC(2024, 1, 12)]) {
    for (let d = 0; d < 5; d++) {
      // the session of this trading date opens 17:00 CST (23:00 UTC) the day before
      const open = monday + d * 86_400_000 - 3_600_000;
      for (let b = 0; b < 46; b++) {
        const parts = Object.fromEntries(wall.formatToParts(open + b * 1_800_000).map((p) => [p.type, p.value]));
        const price = 5000 + (k++ % 40) * 0.25;
        lines.push(`${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second},${price},${price + 1},${price - 1},${price + 0.5},${100 + b}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
