/** A plain-text table with per-column alignment, for terminals and CI logs. */
export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align: Align;
}

function pad(text: string, width: number, align: Align): string {
  const gap = ' '.repeat(Math.max(0, width - [...text].length));
  return align === 'left' ? text + gap : gap + text;
}

export function renderTable(columns: Column[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max([...c.header].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => pad(cell, widths[i] ?? 0, columns[i]?.align ?? 'left')).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join('\n');
}
