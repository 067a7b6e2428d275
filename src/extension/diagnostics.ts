// Diagnostics by owner. A file's diagnostics can come from several lints: config.json gets its own
// findings (owner: the document) and the model folder's weight findings (owner: the folder); a
// notebook's lint writes to every cell. Each owner replaces only its own share, and the host gets
// the merged list of every uri that changed.
import type { Diag, Uri } from "./types";

export class DiagnosticsBook {
  private readonly byOwner = new Map<string, Map<Uri, Diag[]>>();

  constructor(private readonly publish: (uri: Uri, diags: Diag[]) => void) {}

  /** Replaces everything `owner` said: uris it no longer mentions are cleared of its share. */
  set(owner: string, perUri: Map<Uri, Diag[]>): void {
    const before = this.byOwner.get(owner);
    const touched = new Set<Uri>([...(before?.keys() ?? []), ...perUri.keys()]);
    const kept = new Map([...perUri].filter(([, d]) => d.length > 0));
    if (kept.size) this.byOwner.set(owner, kept);
    else this.byOwner.delete(owner);
    for (const uri of touched) this.publish(uri, this.merged(uri));
  }

  clear(owner: string): void {
    this.set(owner, new Map());
  }

  /** Clears every owner whose key matches (a deleted folder's files). */
  clearWhere(pred: (owner: string) => boolean): void {
    for (const owner of [...this.byOwner.keys()]) if (pred(owner)) this.clear(owner);
  }

  clearAll(): void {
    for (const owner of [...this.byOwner.keys()]) this.clear(owner);
  }

  /** Everything one owner said, by uri (a copy). */
  share(owner: string): Map<Uri, Diag[]> {
    return new Map(this.byOwner.get(owner) ?? []);
  }

  /** What one owner said about one uri. */
  get(owner: string, uri: Uri): Diag[] {
    return this.byOwner.get(owner)?.get(uri) ?? [];
  }

  merged(uri: Uri): Diag[] {
    const out: Diag[] = [];
    for (const m of this.byOwner.values()) out.push(...(m.get(uri) ?? []));
    return out;
  }

  owners(): string[] {
    return [...this.byOwner.keys()];
  }

  /** Uris with at least one diagnostic. */
  uris(): Uri[] {
    const out = new Set<Uri>();
    for (const m of this.byOwner.values()) for (const u of m.keys()) out.add(u);
    return [...out];
  }
}
