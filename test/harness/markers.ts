// Inline expectation markers: `// error: [rule-name]` (or warning:/info:) at the end of a line
// expects a finding of that rule starting on that line; a marker alone on a line applies to the
// next line that has code. `// normlint-test: key=value` lines set harness options.
export interface Expected {
  rule: string;
  severity: string;
  line: number;
}

const MARKER = /\/\/\s*(error|warning|info):\s*\[([a-z0-9-]+)\]/g;

export function parseMarkers(text: string): { expected: Expected[]; options: Record<string, string> } {
  const lines = text.split("\n");
  const expected: Expected[] = [];
  const options: Record<string, string> = {};
  let pending: Array<Omit<Expected, "line">> = [];
  lines.forEach((raw, i) => {
    const opt = /\/\/\s*normlint-test:\s*(\w+)=(\S+)/.exec(raw);
    if (opt) options[opt[1]] = opt[2];
    const markers = [...raw.matchAll(MARKER)].map((m) => ({ severity: m[1], rule: m[2] }));
    const code = raw.replace(/\/\/.*$/, "").trim();
    if (!code) {
      pending.push(...markers);
      return;
    }
    for (const m of [...pending, ...markers]) expected.push({ ...m, line: i + 1 });
    pending = [];
  });
  return { expected, options };
}
