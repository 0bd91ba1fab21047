/**
 * Renders mover progress: a status line on a terminal (stderr), JSON lines with --json,
 * nothing otherwise. Errors about single source files are always reported on stderr.
 */
import type { ProgressSink, ProgressSnapshot } from '../mover/progress.ts';
import type { CliContext } from './context.ts';
import { formatBytes } from './format.ts';

export function progressView(ctx: CliContext, startedAt: number): ProgressSink & { finish(): void } {
  const json = ctx.globals().json === true;
  const tty = ctx.env.isTty && !json && !ctx.globals().quiet;
  let last = 0;
  let shown = false;
  const rate = (bytes: number): number => bytes / Math.max(0.001, (Date.now() - startedAt) / 1000);
  return {
    update(p: ProgressSnapshot) {
      const now = Date.now();
      if (now - last < (json ? 1000 : 100)) return;
      last = now;
      if (json) {
        ctx.stdout.write(`${JSON.stringify({ message_type: 'status', files_done: p.filesDone, bytes_done: p.bytesDone, bytes_total: p.bytesTotal ?? null, bytes_per_second: Math.round(rate(p.bytesDone)) })}\n`);
      } else if (tty) {
        const eta = p.bytesTotal ? ` ETA ${Math.max(0, Math.round((p.bytesTotal - p.bytesDone) / rate(p.bytesDone)))}s` : '';
        ctx.stderr.write(`\r\x1b[K${p.filesDone} files, ${formatBytes(p.bytesDone)}${p.bytesTotal ? ` of ${formatBytes(p.bytesTotal)}` : ''}, ${formatBytes(rate(p.bytesDone))}/s${eta}`);
        shown = true;
      }
    },
    error(path: string, message: string) {
      if (shown) ctx.stderr.write('\r\x1b[K');
      ctx.stderr.write(`warning: ${path}: ${message}\n`);
    },
    finish() {
      if (shown) ctx.stderr.write('\r\x1b[K');
    },
  };
}
