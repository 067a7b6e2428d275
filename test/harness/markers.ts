// Inline expectation markers: `// error: [rule-name]` (or warning:/info:) at the end of a line
// expects a finding of that rule starting on that line; a marker alone on a line applies to the
// next line that has code. `// normlint-test: key=value` lines set harness options. Python
// fixtures (and notebooks, whose cell sources hold Python) write the same markers after `#`.
import { createScanner } from "jsonc-parser";
import { SyntaxKind } from "../../src/engine/parsers/json";

export interface Expected {
  rule: string;
  severity: string;
  line: number;
}

export type CommentStyle = "slash" | "hash";

const MARKERS: Record<CommentStyle, RegExp> = {
  slash: /\/\/\s*(error|warning|info):\s*\[([a-z0-9-]+)\]/g,
  hash: /#\s*(error|warning|info):\s*\[([a-z0-9-]+)\]/g,
};
const OPTIONS: Record<CommentStyle, RegExp> = {
  slash: /\/\/\s*normlint-test:\s*(\w+)=(\S+)/,
  hash: /#\s*normlint-test:\s*(\w+)=([^\s",\\]+)/,
};
const COMMENT: Record<CommentStyle, RegExp> = { slash: /\/\/.*$/, hash: /#.*$/ };

/** The comment style of a fixture file: `#` for Python and notebooks, `//` otherwise. */
export function commentStyle(file: string): CommentStyle {
  return /\.(py|ipynb)$/.test(file) ? "hash" : "slash";
}

export function parseMarkers(text: string, style: CommentStyle = "slash"): { expected: Expected[]; options: Record<string, string> } {
  const lines = text.split("\n");
  const expected: Expected[] = [];
  const options: Record<string, string> = {};
  let pending: Array<Omit<Expected, "line">> = [];
  lines.forEach((raw, i) => {
    const opt = OPTIONS[style].exec(raw);
    if (opt) options[opt[1]] = opt[2];
    const markers = [...raw.matchAll(MARKERS[style])].map((m) => ({ severity: m[1], rule: m[2] }));
    const code = raw.replace(COMMENT[style], "").trim();
    if (!code) {
      pending.push(...markers);
      return;
    }
    for (const m of [...pending, ...markers]) expected.push({ ...m, line: i + 1 });
    pending = [];
  });
  return { expected, options };
}

/**
 * JSONC text with every comment blanked to spaces, line breaks kept, so offsets and line numbers
 * stay those of the fixture. jsonc-parser's `stripComments(text, " ")` inserts a line break after a
 * line comment that starts the file, which moved every later finding down a line.
 */
export function blankComments(text: string): string {
  const scanner = createScanner(text, false);
  const out = text.split("");
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    if (kind !== SyntaxKind.LineCommentTrivia && kind !== SyntaxKind.BlockCommentTrivia) continue;
    const start = scanner.getTokenOffset();
    for (let i = start; i < start + scanner.getTokenLength(); i++) if (out[i] !== "\n" && out[i] !== "\r") out[i] = " ";
  }
  return out.join("");
}
