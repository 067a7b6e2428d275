// The parser copies trees out of wasm with direct calls into web-tree-sitter's cursor functions (see
// src/engine/parsers/python-cursor.ts). The copy must be exactly the one the public TreeCursor API
// gives: same nodes, fields, missing nodes, error list, on clean files, broken files, a file big
// enough to grow the wasm memory mid-walk, and trees reparsed incrementally.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { modelingFile } from "../bench/python";
import { loadPythonWasm } from "../src/node/wasm";
import { createPythonParser, type PythonParser, type PythonTree } from "../src/engine/python";
import { walk } from "../src/engine/parsers/python";

const ROOT = join(__dirname, "..");
let direct: PythonParser;
let reference: PythonParser;
beforeAll(async () => {
  direct = await createPythonParser(loadPythonWasm([ROOT]));
  reference = await createPythonParser(loadPythonWasm([ROOT]), { publicCursor: true });
});

/** Everything the analysis can see of a tree, as one string. */
function shape(tree: PythonTree): string {
  const nodes = walk(tree.root).map((n) => [n.type, n.start, n.end, n.named, n.field ?? null, n.missing ?? false, n.children.length, n.after - n.index]);
  return JSON.stringify({ nodes, errors: tree.errors });
}

function same(text: string): { nodes: number; errors: number } {
  const a = direct.parse(text);
  const b = reference.parse(text);
  try {
    expect(shape(a)).toBe(shape(b));
    return { nodes: walk(a.root).length, errors: a.errors.length };
  } finally {
    a.delete();
    b.delete();
  }
}

/** Deterministic damage: cut lines, drop brackets and colons, splice in junk. */
function damaged(text: string, seed: number): string[] {
  const lines = text.split("\n");
  const cut = lines.slice(0, Math.max(1, Math.floor(lines.length * (0.3 + (seed % 5) / 10)))).join("\n");
  return [cut, text.replace(/\):/g, ")"), text.replace(/\]/g, ""), text.replace(/ = /g, seed % 2 ? " == = " : " (= "), `${text.slice(0, text.length >> 1)}\x00\u00e9 def (:\n${text.slice(text.length >> 1)}`];
}

describe("the direct tree walker", () => {
  it("is the one the parser uses on this machine", () => {
    expect(direct.cursor).toBe("direct");
    expect(reference.cursor).toBe("public");
  });

  it("copies every fixture, example and damaged variant exactly as the public cursor does", () => {
    const files = ["test/fixtures", "examples"].flatMap((d) =>
      readdirSync(join(ROOT, d), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".py"))
        .map((f) => join(ROOT, d, f)),
    );
    expect(files.length).toBeGreaterThan(20);
    let nodes = 0;
    let errors = 0;
    files.forEach((f, i) => {
      const text = readFileSync(f, "utf8");
      for (const t of [text, ...damaged(text, i)]) {
        const r = same(t);
        nodes += r.nodes;
        errors += r.errors;
      }
    });
    expect(nodes).toBeGreaterThan(10_000);
    // The damaged variants really have syntax errors, so missing and ERROR nodes were compared.
    expect(errors).toBeGreaterThan(files.length);
  });

  it("copies a file large enough to grow the wasm memory (from 32 MiB) while it is parsed", () => {
    const text = modelingFile(30_000);
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(same(text).nodes).toBeGreaterThan(250_000);
    expect(same(text.replace(/\):\n/g, ")\n")).errors).toBeGreaterThan(0);
  });

  it("copies an incrementally reparsed tree as a fresh parse of its text, unchanged statements taken over", () => {
    let text = modelingFile(600);
    let tree = direct.parse(text);
    const edits = [
      (t: string) => ({ at: t.indexOf("eps=1e-6"), len: 8, text: "eps=1e-5" }),
      (t: string) => ({ at: t.indexOf("self.eps = eps"), len: 14, text: "self.variance_epsilon = eps  # longer" }),
      (t: string) => ({ at: t.indexOf("\nclass Block1"), len: 0, text: "\nX = 1\n\n\ndef helper(x):\n    return x\n" }),
      (t: string) => ({ at: t.indexOf("def helper"), len: t.indexOf("\nclass Block1") - t.indexOf("def helper"), text: "" }),
      (t: string) => ({ at: t.indexOf("return self.weight"), len: 6, text: "return (" }),
      (t: string) => ({ at: t.indexOf("return (self.weight"), len: 8, text: "return " }),
      (t: string) => ({ at: 0, len: 0, text: "# a comment\n" }),
    ];
    for (let round = 0; round < 3; round++) {
      for (const edit of edits) {
        const e = edit(text);
        if (e.at < 0) continue;
        text = direct.edit(tree, { start: e.at, end: e.at + e.len, text: e.text });
        const next = direct.parse(text, tree);
        const fresh = direct.parse(text);
        expect(shape(next)).toBe(shape(fresh));
        fresh.delete();
        tree.delete();
        tree = next;
      }
    }
    tree.delete();
  });

  it("copies incrementally reparsed trees exactly", () => {
    let text = modelingFile(400);
    let a = direct.parse(text);
    let b = reference.parse(text);
    for (let i = 0; i < 20; i++) {
      const at = text.indexOf("eps", (i * 997) % text.length);
      const change = { start: at, end: at + 3, text: i % 3 ? "epsilon" : "eps)(" };
      direct.edit(a, change);
      text = reference.edit(b, change);
      const a2 = direct.parse(text, a);
      const b2 = reference.parse(text, b);
      expect(shape(a2)).toBe(shape(b2));
      a.delete();
      b.delete();
      a = a2;
      b = b2;
    }
    a.delete();
    b.delete();
  });
});
