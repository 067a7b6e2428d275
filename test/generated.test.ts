// Metadata is the single source: the committed schemas, rule pages and README rule table must equal
// what the generator makes from the current rules and knowledge base (`npm run build` rewrites them).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { describe, expect, it } from "vitest";
import { RULES } from "../src/engine/registry";
import { artifacts, ruleDocs } from "../src/generate/artifacts";

const root = join(__dirname, "..");
const { committed } = artifacts(root);

describe("generated files", () => {
  for (const [rel, content] of committed) {
    it(`${rel} is current (run npm run build)`, () => {
      expect(readFileSync(join(root, rel), "utf8") === content, `${rel} is stale`).toBe(true);
    });
  }

  it("every rule documents the four headings, and the README lists every rule", () => {
    const docs = ruleDocs(root);
    const readme = readFileSync(join(root, "README.md"), "utf8");
    for (const r of RULES) {
      expect(docs[r.name].whatItDoes.length).toBeGreaterThan(20);
      expect(readme).toContain(`| \`${r.code}\` | \`${r.name}\` |`);
    }
  });

  it("the .normlint.json schema accepts a full config and rejects a misspelt rule", () => {
    const schema = JSON.parse(readFileSync(join(root, "schemas", "normlint.schema.json"), "utf8"));
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate({ rules: { "eps-key-unused": "off", NL1: "error", eps: "info" }, overrides: [{ files: "a/**", rules: { all: "off" } }], ignore: ["x#/y"] })).toBe(true);
    expect(validate({ rules: { "eps-key-unsued": "off" } })).toBe(false);
  });

  it("codes are unique and permanent in shape", () => {
    expect(new Set(RULES.map((r) => r.code)).size).toBe(RULES.length);
    for (const r of RULES) expect(r.code).toMatch(/^NL\d{3}$/);
  });
});
