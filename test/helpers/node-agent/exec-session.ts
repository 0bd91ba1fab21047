/**
 * `exec` over WebSocket, as a 1.36 kubelet serves it with ExtendWebSocketsToKubelet: the
 * channel protocols `v5.channel.k8s.io` and `v4.channel.k8s.io`, each frame one channel
 * byte then data — 0 stdin, 1 stdout, 2 stderr, 3 the final Status (JSON), 4 resize
 * (ignored: no TTYs) — and, in v5 only, 255 `[255, channel]` to close a stream (the client
 * closes stdin with `[255, 0]`). The command runs as a new process set up like the
 * container (its environment, mounts and working directory). Closing the WebSocket kills
 * the process; a command that ends closes the WebSocket after its Status.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { ProcessExit, RunningProcess } from './container-process.ts';

export const V5 = 'v5.channel.k8s.io';
export const V4 = 'v4.channel.k8s.io';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;

export interface ExecRequest {
  readonly command: readonly string[];
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

/** The kubelet's query names (`input`, `output`, `error`), and the client's (`stdin`, …). */
export function execRequest(url: URL): ExecRequest {
  const flag = (...names: string[]): boolean => names.some((n) => ['1', 'true'].includes(url.searchParams.get(n) ?? ''));
  return {
    command: url.searchParams.getAll('command'),
    stdin: flag('input', 'stdin'),
    stdout: flag('output', 'stdout'),
    stderr: flag('error', 'stderr'),
  };
}

export function execServer(): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered: Set<string>) => (offered.has(V5) ? V5 : offered.has(V4) ? V4 : false),
  });
}

function frame(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

function statusOf(exit: ProcessExit, command: readonly string[]): Record<string, unknown> {
  if (exit.startError !== undefined) {
    return { metadata: {}, status: 'Failure', message: `failed to exec in container: ${exit.startError}`, reason: 'InternalError', code: 500 };
  }
  if (exit.exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exit.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exit.exitCode) }] },
  };
}

/** Starts the exec'd process (in the container). */
export type ExecLauncher = (command: readonly string[], stdin: boolean) => RunningProcess;

function serve(ws: WebSocket, launch: ExecLauncher, req: ExecRequest): void {
  const proc = launch(req.command, req.stdin);
  const send = (channel: number, data: Buffer | string): void => {
    if (ws.readyState === ws.OPEN) ws.send(frame(channel, data));
  };
  // As the kubelet does: an empty frame on the lowest output channel says the stream is up.
  send(req.stdout ? STDOUT : req.stderr ? STDERR : STATUS, Buffer.alloc(0));
  proc.stdin?.on('error', () => {});
  proc.stdout.on('data', (chunk: Buffer) => {
    if (req.stdout) send(STDOUT, chunk);
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    if (req.stderr) send(STDERR, chunk);
  });
  ws.on('message', (data: Buffer) => {
    const channel = data[0];
    if (channel === STDIN) proc.stdin?.write(data.subarray(1));
    else if (channel === CLOSE && ws.protocol === V5 && data[1] === STDIN) proc.stdin?.end();
  });
  ws.on('close', () => proc.signal('SIGKILL'));
  ws.on('error', () => proc.signal('SIGKILL'));
  void proc.exited.then((exit) => {
    send(STATUS, JSON.stringify(statusOf(exit, req.command)));
    ws.close(1000);
  });
}

/** Takes over an upgrade request for `/exec/…` of a running container. */
export function upgradeToExec(wss: WebSocketServer, upgrade: { req: IncomingMessage; socket: Duplex; head: Buffer }, launch: ExecLauncher): void {
  const req = execRequest(new URL(upgrade.req.url ?? '/', 'https://127.0.0.1'));
  wss.handleUpgrade(upgrade.req, upgrade.socket, upgrade.head, (ws) => {
    try {
      serve(ws, launch, req);
    } catch (err) {
      // The container stopped between the check and the upgrade.
      ws.send(frame(STATUS, JSON.stringify({ metadata: {}, status: 'Failure', message: err instanceof Error ? err.message : String(err), reason: 'NotFound', code: 404 })));
      ws.close(1000);
    }
  });
}
