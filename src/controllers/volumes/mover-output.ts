/**
 * What a mover container says (src/cli/cmd-mover.ts): JSON `status` lines while it runs,
 * one `summary` at the end, also written as its termination message. Anything else on
 * its output (warnings, an error line) is text for messages.
 */

export interface MoverStatus {
  readonly bytesDone: number;
  readonly bytesTotal: number | undefined;
}

export interface MoverSummary {
  readonly snapshotId: string;
  readonly parent: string | undefined;
  readonly bytesTotal: number;
  /** Bytes read from the volume (backup) or written to it (restore). */
  readonly bytesDone: number;
  readonly bytesNew: number | undefined;
  readonly filesChanged: number | undefined;
  readonly filesUnchanged: number | undefined;
}

function parseLine(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** The newest `status` line of a log tail. */
export function lastStatus(log: string): MoverStatus | undefined {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const msg = parseLine(lines[i] ?? '');
    if (msg?.message_type !== 'status') continue;
    const bytesDone = num(msg.bytes_done);
    if (bytesDone !== undefined) return { bytesDone, bytesTotal: num(msg.bytes_total) };
  }
  return undefined;
}

/** The `summary` in a termination message or a log tail (the last one wins). */
export function findSummary(text: string): MoverSummary | undefined {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const msg = parseLine(lines[i] ?? '');
    if (msg?.message_type !== 'summary' || typeof msg.snapshot_id !== 'string') continue;
    return {
      snapshotId: msg.snapshot_id,
      parent: typeof msg.parent === 'string' ? msg.parent : undefined,
      bytesTotal: num(msg.bytes_total) ?? 0,
      bytesDone: num(msg.bytes_read) ?? num(msg.bytes_written) ?? 0,
      bytesNew: num(msg.bytes_new),
      filesChanged: num(msg.files_changed),
      filesUnchanged: num(msg.files_unchanged),
    };
  }
  return undefined;
}

/** The lines of a failed mover's output worth showing: not its JSON, the last few, shortened. */
export function failureText(text: string, maxLength = 1000): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && parseLine(l) === undefined);
  const tail = lines.slice(-5).join(' | ');
  return tail.length > maxLength ? `…${tail.slice(-maxLength)}` : tail;
}
