// The one command table. package.json's `contributes.commands` must list exactly these (a test
// compares them); the controller supplies one handler per id, so a missing handler does not compile.

export const COMMANDS = [
  { command: "normlint.lintWorkspace", title: "Lint Workspace", category: "normlint" },
  { command: "normlint.fixAllInFile", title: "Fix All in File", category: "normlint" },
  { command: "normlint.explainRule", title: "Explain Rule", category: "normlint" },
  { command: "normlint.showOutput", title: "Show Output", category: "normlint" },
  { command: "normlint.copyDebugInfo", title: "Copy Debug Info", category: "normlint" },
  { command: "normlint.openNormLab", title: "Open Norm Lab", category: "normlint" },
  // Asks for a Hub repository id and checks it without downloading it (hub-check.ts).
  { command: "normlint.checkHubModel", title: "Check a Hugging Face Model...", category: "normlint" },
  // Run by the "Ignore ... (in .normlint.json)" quick fix after its edit, so the user sees the file
  // it edited or created; hidden from the palette (package.json's menus.commandPalette).
  { command: "normlint.showIgnoreFile", title: "Show the .normlint.json Last Edited", category: "normlint" },
] as const;

export type CommandId = (typeof COMMANDS)[number]["command"];

export type CommandHandlers = Record<CommandId, (...args: unknown[]) => unknown>;

/** The Norm Lab panel's view type (the serializer and `onWebviewPanel` activation name it). */
export const NORM_LAB_VIEW_TYPE = "normlint.normLab";
