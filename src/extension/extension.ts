// Entry point of the VS Code extension (bundled to dist/extension.js). Activation only registers
// providers, commands and listeners; the engine loads on the first lint (see controller.ts).
import type * as vscode from "vscode";
import { activateHost } from "./host";

export function activate(context: vscode.ExtensionContext): void {
  activateHost(context, performance.now());
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
