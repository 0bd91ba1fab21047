/**
 * The S3 datasets' extra report: per operation and tool, what MinIO did (its CPU time, the
 * S3 requests by API, the bytes it received and sent), and the repositories' objects as
 * the server lists them. Empty for local datasets.
 */
import type { ToolName } from '../config.ts';
import { OPERATIONS, type DatasetSummary } from '../results.ts';
import { requestBreakdown, totalRequests } from '../storage/server-counters.ts';
import { renderTable, type Column } from './text-table.ts';

const COLUMNS: Column[] = [
  { header: 'MinIO per operation', align: 'left' },
  { header: 'tool', align: 'left' },
  { header: 'MinIO CPU-s', align: 'right' },
  { header: 'requests', align: 'right' },
  { header: 'MB in', align: 'right' },
  { header: 'MB out', align: 'right' },
  { header: 'by API', align: 'left' },
];

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function serverTable(summary: DatasetSummary, tools: ToolName[]): string | undefined {
  const rows: string[][] = [];
  for (const op of OPERATIONS) {
    for (const t of tools) {
      const c = summary.tools[t]?.server?.[op];
      if (c === undefined) continue;
      const n = totalRequests(c);
      rows.push([op, t, c.cpuS.toFixed(2), Math.round(n).toLocaleString('en'), mb(c.receivedBytes), mb(c.sentBytes), requestBreakdown(c.requests)]);
    }
  }
  return rows.length === 0 ? undefined : renderTable(COLUMNS, rows);
}

function objectsLine(summary: DatasetSummary, tools: ToolName[]): string | undefined {
  const parts = tools.flatMap((t) => {
    const o = summary.tools[t]?.objects;
    return o ? [`${t} ${Math.round(o.objects).toLocaleString('en')} objects, ${mb(o.bytes)} MB`] : [];
  });
  return parts.length === 0 ? undefined : `  S3 objects after the incremental backup (as listed; du -sb above adds MinIO's per-object overhead): ${parts.join('; ')}`;
}

/** The server table and the objects line, or no lines when the dataset has no server. */
export function renderServer(summary: DatasetSummary, tools: ToolName[]): string[] {
  const table = serverTable(summary, tools);
  const objects = objectsLine(summary, tools);
  return [...(objects ? [objects] : []), ...(table ? ['', table] : [])];
}
