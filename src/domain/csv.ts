/**
 * One CSV cell, safe to open in a spreadsheet. A cell starting with `= + - @`, TAB or CR would be read as a
 * formula (or have its lead stripped into one), so it gets a leading apostrophe; a quote, comma, CR or LF anywhere
 * makes the cell quoted, so no value can start a new row or column.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
