/**
 * What the ingest dialog says about time zones and sessions, per file of the ingest
 * result: which zone naive times were read in and why (only for files with times of day:
 * daily bars have no zone), and the warnings for bars on a weekend, a closed holiday or
 * outside the instrument's session.
 */

/** The fields of an ingest result's `files[]` entry this needs. */
interface FileZoneFacts {
  name: string;
  timestamp: { dateOnly: boolean };
  timezone: string;
  timezoneSource: 'option' | 'instrument' | 'fallback';
  instrument: { symbol: string; exchange: string; source: string };
  sessionWarnings: { kind: string; count: number; message: string }[];
}

/** The zone of a file and why, in words: "America/Chicago, the zone of instrument ES (CME)". */
function zoneInWords(file: FileZoneFacts): string {
  if (file.timezoneSource === 'option') return `${file.timezone}, as entered`;
  if (file.timezoneSource === 'fallback') return `${file.timezone}, the default: no instrument is registered for ${file.instrument.symbol}`;
  return `${file.timezone}, the zone of instrument ${file.instrument.symbol} (${file.instrument.exchange})`;
}

/** The zone naive times were read in, for files with times of day; the first such file's. */
export function timedZone(files: readonly FileZoneFacts[]): string | null {
  return files.find((f) => !f.timestamp.dateOnly)?.timezone ?? null;
}

/** A row of the file's fact list: the zone and why; nothing for daily bars. */
export function ZoneFact({ file }: { file: FileZoneFacts }) {
  if (file.timestamp.dateOnly) return null;
  return (
    <div data-testid="ingest-zone" data-source={file.timezoneSource}>
      <dt>Time zone</dt>
      <dd>{zoneInWords(file)}</dd>
    </div>
  );
}

/** The session warnings of every file, with what to do about a file in another zone. */
export function SessionWarnings({ files }: { files: readonly FileZoneFacts[] }) {
  const warnings = files.flatMap((file) => file.sessionWarnings.map((w, i) => ({ file: file.name, key: `${file.name}:${w.kind}:${i}`, ...w })));
  if (warnings.length === 0) return null;
  const zoneHint = warnings.some((w) => w.kind === 'weekend' || w.kind === 'outside_session');
  return (
    <div className="session-warnings" data-testid="session-warnings" data-count={warnings.length}>
      <h4 className="warn-text">
        {warnings.length} session {warnings.length === 1 ? 'warning' : 'warnings'}
      </h4>
      <ul className="small">
        {warnings.map((w) => (
          <li key={w.key} data-kind={w.kind} data-count={w.count}>
            {files.length > 1 ? <span className="mono">{w.file}: </span> : null}
            {w.message}
          </li>
        ))}
      </ul>
      {zoneHint ? (
        <p className="muted small" data-testid="session-warnings-hint">
          “Time zone of naive times” above does what --tz does: enter the zone the file was written in and update the preview.
        </p>
      ) : null}
    </div>
  );
}
