/** Rows of cells as aligned columns (two spaces apart), the first row the header; numbers right-aligned. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return ''
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)))
  const numeric = rows[0].map((_, c) => rows.slice(1).length > 0 && rows.slice(1).every((r) => NUMBER.test(r[c] ?? '')))
  return rows
    .map((r) =>
      r
        .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n')
}

const NUMBER = /^-?\d+(\.\d+)?$|^-$/
