// Everything heavy, loaded on first use with `import("./engine")` (its own bundle,
// dist/extension-engine.js, so activation does not even parse it): the engine and its knowledge base, jsonc-parser edits, the hovers. The
// Python parser's wasm is read only when a Python file or notebook is linted.
import type { PythonParser } from "../engine/python";
import { createPythonParser } from "../engine/python";
import { loadPythonWasm } from "../node/wasm";

export { configModelType, fixConfigText, isExcluded, lintConfig, loadConfig, resolveSettings, RULES, defaultSettings } from "../engine/index";
export { fixPythonText, lintNotebook, lintPython, userLevels } from "../engine/python";
export { dependsOnProject, judgeFindings, judgeFolderFinding, needsProject, Project, PROJECT_MARKERS, summaryKey } from "../engine/project/index";
export { lintFolder, readModelFolder } from "../engine/folder";
export { activationCandidates, planComparison, readActivationRows, readLabTensors } from "../engine/lab-plan";
export { ruleDocsUrl, ruleInfo } from "../engine/docs";
export { knowledgeMeta, modelTypes } from "../engine/knowledge/index";
export { rulePage } from "../rule-page";
export { notebookMapper } from "../node/notebook-map";
export { targetKind } from "../node/walk";
export { FOLDER_CAPS, overCap, readModelFolderInput } from "../node/folder";
export { configHover, pythonHover } from "./hover";
export { addIgnoreEdits, literalGlob, newConfigText, pointerAt, rangeAtPointer } from "./ignore";

let parser: Promise<PythonParser> | undefined;

/** The Python parser, created once; a failure is not cached, so the next lint retries. */
export function pythonParser(wasmDir: string): Promise<PythonParser> {
  parser ??= (async () => createPythonParser(loadPythonWasm([wasmDir])))().catch((err: unknown) => {
    parser = undefined;
    throw err;
  });
  return parser;
}

/** Frees the parser (deactivation); the next Python lint creates a new one. */
export function disposePythonParser(): void {
  const p = parser;
  parser = undefined;
  void p?.then((x) => x.dispose()).catch(() => undefined);
}
