import assert from 'node:assert/strict';
import { test } from 'node:test';
import { counterDelta, countersFrom, medianCounters, parseMetrics, requestBreakdown, totalRequests, type ServerCounters } from './server-counters.ts';

// Trimmed from MinIO's /minio/metrics/v3/api/requests and /minio/metrics/v3/system/process.
const REQUESTS = `# HELP minio_api_requests_total Total number of requests
# TYPE minio_api_requests_total counter
minio_api_requests_total{name="GetObject",server="127.0.0.1:39381",type="s3"} 1
minio_api_requests_total{name="PutBucket",server="127.0.0.1:39381",type="s3"} 1
minio_api_requests_total{name="PutObject",server="127.0.0.1:39381",type="s3"} 5
minio_api_requests_total{name="Admin",server="127.0.0.1:39381",type="admin"} 7
minio_api_requests_ttfb_seconds_distribution{le="+Inf",name="PutObject",server="127.0.0.1:39381",type="s3"} 5
minio_api_requests_traffic_received_bytes{server="127.0.0.1:39381",type="s3"} 1e+06
minio_api_requests_traffic_sent_bytes{server="127.0.0.1:39381",type="s3"} 200000
`;
const PROCESS = `minio_system_process_cpu_total_seconds{server="127.0.0.1:39381"} 0.33
minio_system_process_resident_memory_bytes{server="127.0.0.1:39381"} 1.20754176e+08
`;

test('parseMetrics reads names, labels (with escapes) and values, skipping comments and junk', () => {
  const lines = parseMetrics('# HELP x\nfoo{a="1",b="say \\"hi\\""} 2.5e+01\nbar 3 1700000000\nnot a metric line\nbaz{} NaN\n');
  assert.deepEqual(lines, [
    { name: 'foo', labels: { a: '1', b: 'say "hi"' }, value: 25 },
    { name: 'bar', labels: {}, value: 3 },
  ]);
});

test('countersFrom keeps S3 requests by API, traffic and process CPU', () => {
  assert.deepEqual(countersFrom(REQUESTS, PROCESS), {
    cpuS: 0.33,
    requests: { GetObject: 1, PutBucket: 1, PutObject: 5 },
    receivedBytes: 1e6,
    sentBytes: 200000,
  });
});

test('counterDelta subtracts and drops APIs without new requests', () => {
  const before = { cpuS: 1.2, requests: { PutObject: 5, GetObject: 1 }, receivedBytes: 100, sentBytes: 10 };
  const after = { cpuS: 3.55, requests: { PutObject: 9, GetObject: 1, ListObjectsV2: 2 }, receivedBytes: 350, sentBytes: 30 };
  const d = counterDelta(before, after);
  assert.deepEqual(d, { cpuS: 2.35, requests: { PutObject: 4, ListObjectsV2: 2 }, receivedBytes: 250, sentBytes: 20 });
  assert.equal(totalRequests(d), 6);
});

test('requestBreakdown lists the largest first and counts the rest', () => {
  const text = requestBreakdown({ GetObject: 12, PutObject: 1800, HeadObject: 12, ListObjectsV2: 4, DeleteObject: 1 }, 3);
  assert.equal(text, 'PutObject 1,800, GetObject 12, HeadObject 12, +2 more');
  assert.equal(requestBreakdown({}), '');
});

test('medianCounters is field-wise and per API, counting a missing API as 0', () => {
  const c = (cpuS: number, put: number, get?: number): ServerCounters => ({
    cpuS, requests: get === undefined ? { PutObject: put } : { PutObject: put, GetObject: get }, receivedBytes: put, sentBytes: 0,
  });
  assert.deepEqual(medianCounters([c(3, 10, 2), undefined, c(1, 30), c(2, 20, 4)]), {
    cpuS: 2, requests: { GetObject: 2, PutObject: 20 }, receivedBytes: 20, sentBytes: 0,
  });
  assert.equal(medianCounters([undefined]), undefined);
});
