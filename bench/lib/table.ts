/** Plain-text table: first column left-aligned (names), the rest right-aligned (numbers). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows]
  const widths = header.map((_, col) => Math.max(...all.map((row) => (row[col] ?? '').length)))
  const line = (row: readonly string[]): string =>
    widths.map((w, col) => (col === 0 ? (row[col] ?? '').padEnd(w) : (row[col] ?? '').padStart(w))).join('  ')
  const rule = widths.map((w) => '-'.repeat(w)).join('  ')
  return [line(header), rule, ...rows.map(line)].join('\n')
}
