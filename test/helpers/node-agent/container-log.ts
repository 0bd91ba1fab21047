/**
 * The captured output of one run of a container: stdout and stderr lines in arrival order,
 * each with its time, kept in memory (the oldest lines go past `MAX_BYTES`). Serves the
 * kubelet's log endpoint (`tailLines`, `timestamps`, `limitBytes`, `stream`, `sinceTime`,
 * `follow`) and the `FallbackToLogsOnError` termination message.
 */
export type LogStream = 'stdout' | 'stderr';

interface LogLine {
  readonly time: Date;
  readonly stream: LogStream;
  /** With its newline, except a last line cut off by the end of the run. */
  readonly text: string;
}

export interface LogQuery {
  readonly tailLines?: number;
  readonly timestamps?: boolean;
  readonly limitBytes?: number;
  /** `Stdout`, `Stderr` or `All` (the default), as the API spells them. */
  readonly stream?: string;
  readonly sinceTime?: Date;
}

export interface LogFollower {
  line(text: string): void;
  end(): void;
}

const MAX_BYTES = 4 * 1024 * 1024;

function wanted(line: LogLine, query: LogQuery): boolean {
  if (query.stream === 'Stdout' && line.stream !== 'stdout') return false;
  if (query.stream === 'Stderr' && line.stream !== 'stderr') return false;
  return query.sinceTime === undefined || line.time >= query.sinceTime;
}

function format(line: LogLine, query: LogQuery): string {
  return query.timestamps ? `${line.time.toISOString()} ${line.text}` : line.text;
}

export class ContainerLog {
  readonly #lines: LogLine[] = [];
  readonly #partial: Record<LogStream, string> = { stdout: '', stderr: '' };
  readonly #followers = new Set<{ query: LogQuery; follower: LogFollower }>();
  #bytes = 0;
  #ended = false;

  append(stream: LogStream, chunk: Buffer | string): void {
    const parts = (this.#partial[stream] + chunk.toString()).split('\n');
    this.#partial[stream] = parts.pop() ?? '';
    for (const part of parts) this.#push({ time: new Date(), stream, text: `${part}\n` });
  }

  /** The run is over: flushes cut-off lines and ends every follower. */
  end(): void {
    if (this.#ended) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.#partial[stream] !== '') this.#push({ time: new Date(), stream, text: this.#partial[stream] });
      this.#partial[stream] = '';
    }
    this.#ended = true;
    for (const { follower } of this.#followers) follower.end();
    this.#followers.clear();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Everything captured, both streams. */
  text(): string {
    return this.#lines.map((l) => l.text).join('') + this.#partial.stdout + this.#partial.stderr;
  }

  read(query: LogQuery = {}): string {
    let lines = this.#lines.filter((l) => wanted(l, query));
    if (query.tailLines !== undefined) lines = query.tailLines <= 0 ? [] : lines.slice(-query.tailLines);
    const out = lines.map((l) => format(l, query)).join('');
    return query.limitBytes === undefined ? out : Buffer.from(out).subarray(0, query.limitBytes).toString();
  }

  /** Streams lines from now on until the run ends; returns the unsubscribe. */
  follow(query: LogQuery, follower: LogFollower): () => void {
    if (this.#ended) {
      follower.end();
      return () => {};
    }
    const entry = { query, follower };
    this.#followers.add(entry);
    return () => this.#followers.delete(entry);
  }

  /** The kubelet's `FallbackToLogsOnError` message: the last 80 lines, at most 2 KiB. */
  tailForMessage(): string {
    const text = this.#lines.slice(-80).map((l) => l.text).join('');
    const bytes = Buffer.from(text);
    return bytes.length <= 2048 ? text : bytes.subarray(bytes.length - 2048).toString();
  }

  #push(line: LogLine): void {
    this.#lines.push(line);
    this.#bytes += line.text.length;
    while (this.#bytes > MAX_BYTES && this.#lines.length > 1) this.#bytes -= this.#lines.shift()?.text.length ?? 0;
    for (const { query, follower } of this.#followers) if (wanted(line, query)) follower.line(format(line, query));
  }
}
