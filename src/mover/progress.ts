/**
 * Progress events from the mover. The CLI renders them as a bar on a TTY or JSON lines;
 * the operator turns them into status updates.
 */
export interface ProgressSnapshot {
  readonly filesDone: number;
  readonly bytesDone: number;
  readonly bytesTotal: number | undefined;
  readonly currentPath?: string;
}

export interface ProgressSink {
  update(p: ProgressSnapshot): void;
  error(path: string, message: string): void;
}
