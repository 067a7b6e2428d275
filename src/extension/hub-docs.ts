// The read-only documents a Hub check shows: one per remote file (config.json's text, the index,
// a checkpoint header rendered as text), served by a TextDocumentContentProvider that host.ts
// registers on HUB_SCHEME. A content provider's documents cannot be edited or saved, which is what
// a view of a remote commit must be. Their URIs mirror the Hub locations one to one:
// `hf://owner/repo@commit/path` <-> `normlint-hf:/owner/repo@commit/path`, so a document names
// its repository, commit and file without any lookup (after a reload too).
import type { Uri } from "./types";
import { decodedPath, encodeSegment, schemeOf } from "./uri";

export const HUB_SCHEME = "normlint-hf";

/** The virtual document of a Hub location (`hf://owner/repo@commit/path`), spelt as vscode.Uri.toString() spells it. */
export function hubDocUri(location: string): Uri {
  const rest = location.replace(/^hf:\/\//, "");
  return `${HUB_SCHEME}:/${rest.split("/").map(encodeSegment).join("/")}`;
}

/** The Hub location of a virtual document, or undefined for any other URI. */
export function hubLocationOf(uri: Uri): string | undefined {
  if (schemeOf(uri) !== HUB_SCHEME) return undefined;
  const path = decodedPath(uri).replace(/^\/+/, "");
  return path ? `hf://${path}` : undefined;
}

/**
 * The documents of the checks run in this window, by URI. `onDidChange` tells the provider which
 * document changed (a second check of the same commit renders the same text, so it rarely fires).
 */
export class HubDocuments {
  private readonly texts = new Map<Uri, string>();
  private readonly listeners = new Set<(uri: Uri) => void>();

  set(uri: Uri, text: string): void {
    const before = this.texts.get(uri);
    this.texts.set(uri, text);
    if (before !== undefined && before !== text) for (const l of this.listeners) l(uri);
  }

  get(uri: Uri): string | undefined {
    return this.texts.get(uri);
  }

  has(uri: Uri): boolean {
    return this.texts.has(uri);
  }

  /** What the provider serves: the text, or why there is none (a tab restored after a reload). */
  provide(uri: Uri): string {
    const text = this.texts.get(uri);
    if (text !== undefined) return text;
    const location = hubLocationOf(uri) ?? uri;
    return `normlint has no copy of ${location} in this window: run “normlint: Check a Hugging Face Model...” on its repository again.\n`;
  }

  onDidChange(listener: (uri: Uri) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }
}
