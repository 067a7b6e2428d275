// Notebooks in the editor: VS Code holds cells, the engine reads .ipynb JSON. The open notebook is
// written out as a minimal nbformat 4 document (every cell, in order, so the engine's `data.cell`
// is the editor's cell index), and findings come back with cell-relative offsets.
import type { Finding } from "../engine/types";
import type { CellSnapshot, NotebookSnapshot } from "./types";

/** Python code cells are linted; markup and cells in other languages are passed as markdown. */
export function isPythonCell(c: CellSnapshot): boolean {
  return c.kind === "code" && c.languageId === "python";
}

export function notebookJson(nb: NotebookSnapshot): string {
  return JSON.stringify({
    cells: nb.cells.map((c) => ({ cell_type: isPythonCell(c) ? "code" : "markdown", metadata: {}, source: c.text })),
    metadata: { language_info: { name: "python" } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

/** Bytes of the code the engine reads (what the size cap is about), not of the JSON around it. */
export function notebookCodeSize(nb: NotebookSnapshot): number {
  return nb.cells.filter(isPythonCell).reduce((n, c) => n + utf8Length(c.text), 0);
}

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Groups findings by the cell they fall in. Findings without a cell (a problem with the notebook as
 * a whole) go to the first Python cell at its start, so they stay visible.
 */
export function findingsByCell(nb: NotebookSnapshot, findings: Finding[]): Map<number, Finding[]> {
  const out = new Map<number, Finding[]>();
  const first = nb.cells.find(isPythonCell)?.index;
  for (const f of findings) {
    const cell = typeof f.data?.cell === "number" ? f.data.cell : undefined;
    const index = cell !== undefined && nb.cells[cell] ? cell : first;
    if (index === undefined) continue;
    const placed = cell === undefined ? { ...f, start: 0, end: 0, fixes: [] } : f;
    const list = out.get(index) ?? [];
    list.push(placed);
    out.set(index, list);
  }
  return out;
}

/**
 * Where each code cell starts in the module text the engine analysed (cells joined in order, each
 * ending with a newline): module-analysis offsets (norm classes, for hovers) map back with these.
 */
export function cellStarts(cells: ReadonlyArray<{ index: number; source: string }>): Map<number, number> {
  const starts = new Map<number, number>();
  let at = 0;
  for (const c of cells) {
    starts.set(c.index, at);
    at += c.source.length + (c.source.endsWith("\n") ? 0 : 1);
  }
  return starts;
}
