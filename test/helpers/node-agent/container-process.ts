/**
 * The agent's container runtime: a container is a local process in a private mount
 * namespace (`unshare --mount --propagation private`, and `--uts` for its host name) where each volume's host folder is
 * bind-mounted at its `mountPath`, so the process finds its files where the pod spec says
 * and nothing leaks to the host's mount table. A small shell prologue makes the mount
 * points (`mkdir -p` / an empty file, on the host's filesystem, as a runtime does in a
 * rootfs), mounts, enters the working directory and `exec`s the command; it reports over
 * fd 3 whether it got that far, so a failed mount or a missing executable is a start error
 * of the container rather than an exit code of its command.
 *
 * Every process leads its own process group (the container's processes), killed as a whole;
 * `setpriv --pdeathsig KILL` and an exit handler make sure none outlives the test process.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export interface MountSpec {
  /** The host folder or file. */
  readonly source: string;
  /** Where the process sees it. */
  readonly target: string;
  readonly readOnly: boolean;
  /** A file is mounted on an (empty) file, a folder on a folder. */
  readonly file: boolean;
}

export interface LaunchSpec {
  readonly argv: readonly string[];
  readonly env: ReadonlyMap<string, string>;
  readonly workingDir: string;
  readonly mounts: readonly MountSpec[];
  /** The container's host name (its own UTS namespace), as a runtime sets the pod's name. */
  readonly hostname: string;
  /** A pipe to the process's stdin; /dev/null otherwise. */
  readonly stdin?: boolean;
}

export interface ProcessExit {
  /** 128 + the signal number when a signal ended it, as container runtimes report. */
  readonly exitCode: number;
  readonly signal?: number;
  /** Set when the process never reached its command: why (a mount failed, no such executable). */
  readonly startError?: string;
}

export interface RunningProcess {
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** True once the command itself runs (mounts made, executable found), false if it never will. */
  readonly started: Promise<boolean>;
  /** Resolves once the process has exited and its output is drained. */
  readonly exited: Promise<ProcessExit>;
  /** Signals every process of the container. */
  signal(signal: NodeJS.Signals): void;
}

export interface ContainerRuntime {
  launch(spec: LaunchSpec): RunningProcess;
  /** Why mounts cannot work on this machine; pods then fail with it. */
  readonly unavailable: string | undefined;
}

const PROLOGUE = `
M=$1 D=$2 H=$3 N=$4; shift 4
exec 4>&2 2>&3
set -e
if [ -n "$H" ]; then "$H" "$N"; fi
while [ "$1" != -- ]; do
  if [ "$1" = file ]; then "$D" -p "$4"; [ -e "$3" ] || : > "$3"; else "$D" -p "$3"; fi
  "$M" --bind "$2" "$3"
  if [ "$5" = ro ]; then "$M" -o remount,bind,ro "$3"; fi
  shift 5
done
shift
"$D" -p "$1"; cd "$1"; shift
command -v "$1" >/dev/null || { echo "exec: \\"$1\\": executable file not found in \\$PATH" >&2; exit 127; }
set +e
exec 2>&4 4>&-
echo ok >&3
exec "$@" 3>&-
`;

const live = new Set<number>();
let exitHandler = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

function trackGroup(pid: number): void {
  if (!exitHandler) {
    exitHandler = true;
    process.on('exit', () => {
      for (const p of live) killGroup(p, 'SIGKILL');
    });
  }
  live.add(pid);
}

function mountArgs(mounts: readonly MountSpec[]): string[] {
  const depth = (p: string): number => p.split('/').filter(Boolean).length;
  const ordered = [...mounts].sort((a, b) => depth(a.target) - depth(b.target));
  return ordered.flatMap((m) => [m.file ? 'file' : 'dir', m.source, m.target, dirname(m.target), m.readOnly ? 'ro' : 'rw']);
}

function exitOf(code: number | null, signal: NodeJS.Signals | null, setup: string): ProcessExit {
  const signalNumber = signal === null ? undefined : constants.signals[signal];
  const exitCode = code ?? 128 + (signalNumber ?? 0);
  if (setup.endsWith('ok\n')) return signalNumber === undefined ? { exitCode } : { exitCode, signal: signalNumber };
  const startError = setup.trim() || `the container's setup ended with ${signal ?? String(code)} before its command started`;
  return { exitCode: 128, startError };
}

function watchExit(child: ChildProcess, pid: number): { started: Promise<boolean>; exited: Promise<ProcessExit> } {
  let setup = '';
  let markStarted: (ok: boolean) => void = () => {};
  const started = new Promise<boolean>((resolve) => {
    markStarted = resolve;
  });
  child.stdio[3]?.on('data', (chunk: Buffer) => {
    setup += chunk.toString();
    if (setup.endsWith('ok\n')) markStarted(true);
  });
  child.stdio[3]?.once('close', () => markStarted(setup.endsWith('ok\n')));
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('error', (err) => {
      live.delete(pid);
      markStarted(false);
      resolve({ exitCode: 128, startError: `cannot start the container: ${err.message}` });
    });
    child.once('exit', (code, signal) => {
      // As when a container's init dies: whatever it left behind goes with it.
      killGroup(pid, 'SIGKILL');
      live.delete(pid);
      const timer = setTimeout(() => resolve(exitOf(code, signal, setup)), 1000);
      child.once('close', () => {
        clearTimeout(timer);
        resolve(exitOf(code, signal, setup));
      });
    });
  });
  return { started, exited };
}

interface Tools {
  readonly mount: string;
  readonly mkdir: string;
  /** hostname(1), when there is one: containers then get a UTS namespace too. */
  readonly hostname: string | undefined;
}

function launchWith(prefix: readonly string[], tools: Tools, spec: LaunchSpec): RunningProcess {
  const uts = tools.hostname === undefined ? [] : ['--uts'];
  const argv = [
    ...prefix, 'unshare', '--mount', ...uts, '--propagation', 'private', '--', '/bin/sh', '-c', PROLOGUE, 'holdfast-node-agent',
    tools.mount, tools.mkdir, tools.hostname ?? '', spec.hostname.slice(0, 63), ...mountArgs(spec.mounts), '--', spec.workingDir, ...spec.argv,
  ];
  const child = spawn(argv[0] ?? '', argv.slice(1), {
    env: Object.fromEntries(spec.env),
    detached: true,
    stdio: [spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? -1;
  if (pid > 0) trackGroup(pid);
  const { started, exited } = watchExit(child, pid);
  return {
    pid,
    stdin: child.stdin,
    stdout: child.stdout as Readable,
    stderr: child.stderr as Readable,
    started,
    exited,
    signal: (signal) => {
      if (pid > 0 && live.has(pid)) killGroup(pid, signal);
    },
  };
}

function toolPath(name: string): string | undefined {
  const found = spawnSync('/bin/sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path.startsWith('/') ? path : undefined;
}

/** Checks once that this machine lets the agent make mount namespaces (root, util-linux). */
function mountProblem(dir: string, mount: string | undefined): string | undefined {
  if (mount === undefined) return 'mount(8) is not installed';
  const source = join(dir, 'probe', 'source');
  const target = join(dir, 'probe', 'target');
  mkdirSync(source, { recursive: true });
  mkdirSync(target, { recursive: true });
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', `"${mount}" --bind "$1" "$2" && "${mount}" -o remount,bind,ro "$2"`, 'probe', source, target], { encoding: 'utf8' });
  if (probe.status === 0) return undefined;
  return `unshare --mount and mount --bind do not work here (${(probe.stderr || probe.error?.message || '').trim()}); the node agent needs root and util-linux`;
}

function utsWorks(hostname: string | undefined): boolean {
  return hostname !== undefined && spawnSync('unshare', ['--uts', '--', hostname, 'holdfast-probe']).status === 0;
}

export function startContainerRuntime(dir: string): ContainerRuntime {
  const mount = toolPath('mount');
  const mkdir = toolPath('mkdir');
  const hostname = toolPath('hostname');
  const unavailable = mountProblem(dir, mount) ?? (mkdir === undefined ? 'mkdir is not installed' : undefined);
  const tools: Tools = { mount: mount ?? 'mount', mkdir: mkdir ?? 'mkdir', hostname: utsWorks(hostname) ? hostname : undefined };
  const pdeathsig = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true']).status === 0;
  const prefix = pdeathsig ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
  return { unavailable, launch: (spec) => launchWith(prefix, tools, spec) };
}
