/**
 * What the S3 server did during one timed step: MinIO's own CPU time and its S3 request
 * counters, read from its Prometheus metrics (v3: `/minio/metrics/v3/api/requests` and
 * `/minio/metrics/v3/system/process`, which are current; the v2 node metrics are cached
 * for ~10 s) before and after the step. Only one tool runs at a time, so the difference
 * belongs to that tool (plus MinIO's small background work).
 */
import { median } from '../results.ts';

export interface ServerCounters {
  /** MinIO process CPU seconds (user + system). */
  cpuS: number;
  /** S3 requests by API name (PutObject, GetObject, ListObjectsV2 …). */
  requests: Record<string, number>;
  /** Request bytes received from and sent to clients. */
  receivedBytes: number;
  sentBytes: number;
}

export interface MetricLine {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a Prometheus text exposition (comments and malformed lines skipped). */
export function parseMetrics(text: string): MetricLine[] {
  const out: MetricLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m?.[1] || m[3] === undefined) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, '$1');
    out.push({ name: m[1], labels, value });
  }
  return out;
}

function sum(lines: MetricLine[], name: string): number {
  return lines.filter((l) => l.name === name).reduce((acc, l) => acc + l.value, 0);
}

/** Counters from the texts of the v3 `api/requests` and `system/process` metric groups. */
export function countersFrom(requestsText: string, processText: string): ServerCounters {
  const lines = [...parseMetrics(requestsText), ...parseMetrics(processText)];
  const requests: Record<string, number> = {};
  for (const l of lines) {
    if (l.name !== 'minio_api_requests_total' || l.labels.type !== 's3') continue;
    const api = l.labels.name ?? '?';
    requests[api] = (requests[api] ?? 0) + l.value;
  }
  return {
    cpuS: sum(lines, 'minio_system_process_cpu_total_seconds'),
    requests,
    receivedBytes: sum(lines, 'minio_api_requests_traffic_received_bytes'),
    sentBytes: sum(lines, 'minio_api_requests_traffic_sent_bytes'),
  };
}

/** What happened between two readings; APIs with no new requests are left out. */
export function counterDelta(before: ServerCounters, after: ServerCounters): ServerCounters {
  const requests: Record<string, number> = {};
  for (const [api, n] of Object.entries(after.requests)) {
    const d = n - (before.requests[api] ?? 0);
    if (d > 0) requests[api] = d;
  }
  return {
    cpuS: Math.round((after.cpuS - before.cpuS) * 100) / 100,
    requests,
    receivedBytes: after.receivedBytes - before.receivedBytes,
    sentBytes: after.sentBytes - before.sentBytes,
  };
}

export function totalRequests(c: ServerCounters): number {
  return Object.values(c.requests).reduce((a, b) => a + b, 0);
}

/** "PutObject 180, GetObject 12, ListObjectsV2 4 …" (largest first, ties by name). */
export function requestBreakdown(requests: Record<string, number>, top = 4): string {
  const sorted = Object.entries(requests)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const shown = sorted.slice(0, top).map(([api, n]) => `${api} ${Math.round(n).toLocaleString('en')}`);
  if (sorted.length > top) shown.push(`+${sorted.length - top} more`);
  return shown.join(', ');
}

/** Field-wise (and per API) median over runs; undefined when no run has counters. */
export function medianCounters(runs: (ServerCounters | undefined)[]): ServerCounters | undefined {
  const present = runs.filter((c): c is ServerCounters => c !== undefined);
  if (present.length === 0) return undefined;
  const apis = [...new Set(present.flatMap((c) => Object.keys(c.requests)))].sort();
  const requests: Record<string, number> = {};
  for (const api of apis) {
    const n = med(present.map((c) => c.requests[api] ?? 0));
    if (n > 0) requests[api] = n;
  }
  return {
    cpuS: med(present.map((c) => c.cpuS)),
    requests,
    receivedBytes: med(present.map((c) => c.receivedBytes)),
    sentBytes: med(present.map((c) => c.sentBytes)),
  };
}

function med(values: number[]): number {
  return median(values) ?? 0;
}
