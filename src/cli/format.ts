// Output formats: text (one line per finding), JSON (the documented contract) and SARIF 2.1.0.
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import { type Finding, LineIndex, RULES } from "../engine/index";
import { format } from "../engine/rule";
import { ruleDocsUrl, ruleInfo } from "../engine/docs";

export interface FileReport {
  /** Path as displayed: relative to the working directory when inside it. */
  file: string;
  text: string;
  findings: Finding[];
}

export interface Summary {
  files: number;
  linted: number;
  skipped: number;
  errors: number;
  warnings: number;
  infos: number;
  fixable: number;
  fixed: number;
}

interface Position {
  line: number;
  column: number;
}

interface Located {
  finding: Finding;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  lineText: string;
  /** Offset to position in this finding's file (used for fix edits). */
  position: (offset: number) => Position;
}

/**
 * Offsets to 1-based lines and UTF-16 columns as an editor shows them: a byte order mark is part
 * of the decoded text (its finding points at it) but editors do not show it, so it takes no column.
 */
function positioner(text: string): (offset: number) => Position {
  const idx = new LineIndex(text);
  const bom = text.charCodeAt(0) === 0xfeff;
  return (offset) => {
    const p = idx.position(offset);
    return bom && p.line === 1 && p.column > 1 ? { line: 1, column: p.column - 1 } : p;
  };
}

export function locate(reports: FileReport[]): Located[] {
  const out: Located[] = [];
  for (const r of reports) {
    const idx = new LineIndex(r.text);
    const position = positioner(r.text);
    for (const f of r.findings) {
      const s = position(f.start);
      const e = position(f.end);
      const lineText = idx.lineText(r.text, s.line).replace(/^\uFEFF/, "");
      out.push({ finding: f, file: r.file, line: s.line, column: s.column, endLine: e.line, endColumn: e.column, lineText, position });
    }
  }
  return out;
}

export function summarize(reports: FileReport[], files: number, linted: number, fixed: number): Summary {
  const all = reports.flatMap((r) => r.findings);
  return {
    files,
    linted,
    skipped: files - linted,
    errors: all.filter((f) => f.severity === "error").length,
    warnings: all.filter((f) => f.severity === "warning").length,
    infos: all.filter((f) => f.severity === "info").length,
    fixable: all.filter((f) => f.fixes.some((x) => x.safe)).length,
    fixed,
  };
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;

export function formatText(reports: FileReport[], summary: Summary, color: boolean): string {
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const sev = { error: "31", warning: "33", info: "36" } as const;
  const lines = locate(reports).map(
    (l) => `${l.file}:${l.line}:${l.column}: ${l.finding.code} [${paint(sev[l.finding.severity], l.finding.severity)}] ${l.finding.message}`,
  );
  const total = summary.errors + summary.warnings + summary.infos;
  const counts = `${plural(summary.errors, "error")}, ${plural(summary.warnings, "warning")}, ${plural(summary.infos, "info")}`;
  const scope = `${plural(summary.linted, "file")} linted` + (summary.skipped ? `, ${summary.skipped} other file${summary.skipped === 1 ? "" : "s"} skipped` : "");
  let tail = total === 0 ? `No problems: ${scope}.` : `${plural(total, "problem")} (${counts}); ${scope}.`;
  if (summary.fixed) tail += ` Fixed ${plural(summary.fixed, "problem")}.`;
  if (summary.fixable) tail += ` ${summary.fixable} fixable with --fix.`;
  lines.push(lines.length ? "" : "", tail);
  return lines.filter((l, i) => l !== "" || i > 0).join("\n") + "\n";
}

/** The findings as the JSON format writes them (also one line per repository in jsonl). */
export function jsonFindings(reports: FileReport[]) {
  return locate(reports).map((l) => ({
    file: l.file,
    rule: l.finding.rule,
    code: l.finding.code,
    severity: l.finding.severity,
    message: l.finding.message,
    line: l.line,
    column: l.column,
    endLine: l.endLine,
    endColumn: l.endColumn,
    fixes: l.finding.fixes.map((fx) => ({
      title: fx.title,
      safe: fx.safe,
      edits: fx.edits.map((e) => {
        const s = l.position(e.start);
        const en = l.position(e.end);
        return { start: e.start, end: e.end, line: s.line, column: s.column, endLine: en.line, endColumn: en.column, text: e.text };
      }),
    })),
  }));
}

export function formatJson(reports: FileReport[], summary: Summary): string {
  return JSON.stringify({ version: 1, findings: jsonFindings(reports), summary }, null, 2) + "\n";
}

const LEVEL = { error: "error", warning: "warning", info: "note" } as const;

/**
 * Repository-relative URIs under %SRCROOT%; files outside the working directory as file URIs; files
 * on the Hub as their https page at the commit.
 */
function artifact(file: string): { uri: string; uriBaseId?: string } {
  if (/^https?:\/\//.test(file)) return { uri: file };
  return file.startsWith("/") ? { uri: pathToFileURL(file).href } : { uri: encodeURI(file), uriBaseId: "%SRCROOT%" };
}

export function formatSarif(reports: FileReport[], version: string, cwd: string): string {
  const rules = RULES.map((r) => {
    const info = ruleInfo(r.name);
    return {
      id: r.code,
      name: r.name,
      shortDescription: { text: r.summary },
      fullDescription: { text: info?.docs.whatItDoes.replace(/`/g, "") ?? r.summary },
      help: { text: info ? `${info.docs.why}\n\nExample: ${info.docs.example}\nUse instead: ${info.docs.useInstead}` : r.summary, markdown: info ? `${info.docs.why}\n\n**Example**\n\n${info.docs.example}\n\n**Use instead**\n\n${info.docs.useInstead}` : r.summary },
      helpUri: ruleDocsUrl(r.name),
      defaultConfiguration: { level: LEVEL[r.severity] },
      properties: { tags: r.tags.slice(0, 20), precision: "very-high" },
    };
  });
  const index = new Map(RULES.map((r, i) => [r.name, i]));
  const occurrences = new Map<string, number>();
  const results = locate(reports).map((l) => {
    const f = l.finding;
    const key = `${f.code}:${l.file}:${l.lineText.trim()}`;
    const n = occurrences.get(key) ?? 0;
    occurrences.set(key, n + 1);
    const hash = createHash("sha256").update(`${f.code}\0${l.lineText.replace(/\s+/g, " ").trim()}`).digest("hex").slice(0, 16);
    return {
      ruleId: f.code,
      ruleIndex: index.get(f.rule) ?? -1,
      level: LEVEL[f.severity],
      message: { text: f.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: artifact(l.file),
            region: { startLine: l.line, startColumn: l.column, endLine: l.endLine, endColumn: Math.max(l.endColumn, l.endLine === l.line ? l.column + 1 : 1) },
          },
        },
      ],
      ...(f.related?.length
        ? {
            relatedLocations: f.related.map((r, i) => ({
              id: i + 1,
              message: { text: r.message },
              physicalLocation: { artifactLocation: artifact(r.file) },
            })),
          }
        : {}),
      partialFingerprints: { primaryLocationLineHash: `${hash}:${n + 1}` },
      properties: { rule: f.rule },
    };
  });
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "normlint", semanticVersion: version, version, informationUri: "https://github.com/normlint/normlint", rules } },
        automationDetails: { id: "normlint/" },
        originalUriBaseIds: { "%SRCROOT%": { uri: pathToFileURL(cwd.endsWith("/") ? cwd : `${cwd}/`).href } },
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

/** A file that could not be read, as an invalid-json finding at its start. */
export function unreadable(file: string, error: string): Finding {
  const rule = RULES.find((r) => r.name === "invalid-json")!;
  return {
    file, rule: rule.name, code: rule.code, severity: "error" as const, messageId: "unreadable",
    message: format(rule.messages.unreadable, { detail: error }), start: 0, end: 0, fixes: [],
  };
}
