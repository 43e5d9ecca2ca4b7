type Cell = string | number | undefined;

/** Formats rows as an aligned text table (numbers right-aligned, with thousands separators). */
export function formatTable(
  rows: ReadonlyArray<Readonly<Record<string, Cell>>>,
  columns?: readonly string[],
): string {
  const cols = columns ?? [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const text = (cell: Cell): string =>
    cell === undefined ? '' : typeof cell === 'number' ? cell.toLocaleString('en-US') : cell;
  const widths = cols.map((col) => Math.max(col.length, ...rows.map((row) => text(row[col]).length)));
  const line = (cells: readonly Cell[], header = false) =>
    cells
      .map((cell, i) => {
        const s = header ? String(cell) : text(cell);
        return typeof cell === 'number' ? s.padStart(widths[i]!) : s.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [
    line(cols, true),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((row) => line(cols.map((c) => row[c]))),
  ].join('\n');
}

/** Prints a table to stdout. */
export function printTable(
  rows: ReadonlyArray<Readonly<Record<string, Cell>>>,
  columns?: readonly string[],
): void {
  process.stdout.write(`${formatTable(rows, columns)}\n`);
}
