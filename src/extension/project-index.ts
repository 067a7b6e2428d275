// The editor's project index: what each Python file and notebook of a project contributes to the
// judgement of the others (src/engine/project summaries), kept current file by file. A finding
// whose verdict depends on other files (a norm parameter a loader elsewhere renames, NL205) is
// settled as the CLI settles it; when an edit changes what a file contributes, the other files of
// its project are judged again from their kept findings, without parsing anything.
//
// A project's files are summarised in the background the first time a finding needs them (until
// then such a finding is held back rather than shown on a guess); Lint Workspace fills the index as
// it goes. Nothing here imports `vscode`.
import type { ModuleSummary, Project } from "../engine/project/index";
import type { Finding } from "../engine/types";
import type { Uri } from "./types";

type Engine = Pick<typeof import("./engine"), "Project" | "judgeFindings" | "dependsOnProject" | "needsProject" | "summaryKey">;

export interface IndexedFile {
  /** The project root the file belongs to. */
  root: Uri;
  summary?: ModuleSummary;
  /** The file's findings on its own, not yet judged against its project. */
  raw: Finding[];
  /** The rule levels the user configured for the file (the project pass keeps them). */
  levels: (rule: string) => string | undefined;
  /** Checkpoints sit beside the file: the folder rules compare the real keys. */
  beside: boolean;
  /** Shows the judged findings; absent for a file indexed only for what it contributes. */
  publish?: (findings: Finding[]) => void;
}

type RootState = "building" | "built";

export class ProjectIndex {
  private readonly files = new Map<Uri, IndexedFile>();
  private readonly roots = new Map<Uri, RootState>();
  private readonly projects = new Map<Uri, Project>();
  /** While Lint Workspace runs, it fills the index itself: no background build is started. */
  private bulk = 0;
  private readonly waiting = new Set<Uri>();

  constructor(
    private readonly engine: Engine,
    /** Summarises the project's files that are not indexed yet (calls `add` for each); resolves when done. */
    private readonly build: (root: Uri) => Promise<void>,
    private readonly onError: (err: unknown, root: Uri) => void = () => undefined,
    /** A root's project was judged again (a file's contribution changed, or its build finished). */
    private readonly onRejudge: (root: Uri) => void = () => undefined,
  ) {}

  /** Records a file's lint and publishes its judged findings; other files are judged again if what it contributes changed. */
  update(uri: Uri, file: IndexedFile): void {
    const before = this.files.get(uri);
    this.files.set(uri, file);
    const changed = !before || before.root !== file.root || this.engine.summaryKey(before.summary) !== this.engine.summaryKey(file.summary);
    if (changed) {
      this.invalidate(file.root);
      if (before && before.root !== file.root) this.invalidate(before.root);
    }
    this.judge(file);
    if (changed) {
      this.rejudge(file.root, uri);
      if (before && before.root !== file.root) this.rejudge(before.root, uri);
    }
  }

  /**
   * Indexes a file for what it contributes only (a closed file, from disk). A file whose findings
   * are shown (an open editor, or Lint Workspace) is left to that lint.
   */
  add(uri: Uri, file: Omit<IndexedFile, "publish" | "raw">): void {
    const before = this.files.get(uri);
    if (before?.publish) return;
    this.files.set(uri, { ...file, raw: [] });
    if (before?.root === file.root && this.engine.summaryKey(before.summary) === this.engine.summaryKey(file.summary)) return;
    this.invalidate(file.root);
    if (before && before.root !== file.root) this.invalidate(before.root);
    // While a root is being built, its files are judged once at the end.
    if (this.isBuilt(file.root)) this.rejudge(file.root);
    if (before && before.root !== file.root && this.isBuilt(before.root)) this.rejudge(before.root);
  }

  /** A file that is gone (deleted) or no longer linted: the others no longer count on it. */
  remove(uri: Uri): void {
    const before = this.files.get(uri);
    if (!before) return;
    this.files.delete(uri);
    this.invalidate(before.root);
    this.rejudge(before.root, uri);
  }

  /** Removes a deleted file, or everything under a deleted folder. */
  removeInside(uri: Uri): void {
    for (const u of [...this.files.keys()]) if (u === uri || u.startsWith(`${uri}/`)) this.remove(u);
  }

  /** Stops publishing for a file (it closed and nothing on disk is shown for it) but keeps what it contributes. */
  unpublish(uri: Uri): void {
    const f = this.files.get(uri);
    if (f) this.files.set(uri, { ...f, raw: [], publish: undefined });
  }

  has(uri: Uri): boolean {
    return this.files.has(uri);
  }

  /** Lint Workspace starts: it indexes every file it lints, so builds wait for it. */
  beginBulk(): void {
    this.bulk++;
  }

  /** Lint Workspace ended: the roots it covered are complete; everything waiting is judged. */
  endBulk(covered: Iterable<Uri>): void {
    this.bulk = Math.max(0, this.bulk - 1);
    for (const root of covered) {
      this.roots.set(root, "built");
      this.waiting.delete(root);
      this.rejudge(root);
    }
    if (this.bulk === 0) for (const root of [...this.waiting]) this.request(root);
  }

  /** Is the project of this root fully summarised? */
  isBuilt(root: Uri): boolean {
    return this.roots.get(root) === "built";
  }

  /**
   * The project of a root, for a finding judged outside the index (a model folder's NL304 on its
   * code); undefined while the root is not summarised yet, whose build this starts (`onRejudge`
   * tells when it is done).
   */
  builtProject(root: Uri): Project | undefined {
    if (this.isBuilt(root)) return this.project(root);
    this.request(root);
    return undefined;
  }

  /** The roots that have files in the index. */
  rootsOf(uris: Iterable<Uri>): Set<Uri> {
    const out = new Set<Uri>();
    for (const u of uris) {
      const f = this.files.get(u);
      if (f) out.add(f.root);
    }
    return out;
  }

  private invalidate(root: Uri): void {
    this.projects.delete(root);
  }

  private project(root: Uri): Project {
    let p = this.projects.get(root);
    if (!p) {
      const summaries: ModuleSummary[] = [];
      for (const f of this.files.values()) if (f.root === root && f.summary) summaries.push(f.summary);
      p = new this.engine.Project(summaries);
      this.projects.set(root, p);
    }
    return p;
  }

  private judge(file: IndexedFile): void {
    if (!file.publish) return;
    const needs = this.engine.needsProject(file.raw, file.summary);
    let raw = file.raw;
    if (needs && !this.isBuilt(file.root)) {
      // Held back until the project is summarised: shown on a guess, it could flash and vanish.
      raw = raw.filter((f) => !this.engine.dependsOnProject(f));
      this.request(file.root);
    }
    file.publish(this.engine.judgeFindings(raw, file.summary, this.project(file.root), file.levels, { checkpointBeside: file.beside }));
  }

  /** Judges again every published file of a root whose findings depend on the project. */
  private rejudge(root: Uri, except?: Uri): void {
    for (const [uri, f] of this.files) {
      if (uri === except || f.root !== root || !f.publish) continue;
      if (this.engine.needsProject(f.raw, f.summary)) this.judge(f);
    }
    this.onRejudge(root);
  }

  private request(root: Uri): void {
    if (this.roots.has(root)) return;
    if (this.bulk > 0) {
      this.waiting.add(root);
      return;
    }
    this.roots.set(root, "building");
    this.build(root).then(
      () => {
        if (this.roots.get(root) !== "building") return; // cleared meanwhile
        this.roots.set(root, "built");
        this.invalidate(root);
        this.rejudge(root);
      },
      (err: unknown) => {
        // Judged with what is known rather than held back for ever.
        this.roots.set(root, "built");
        this.onError(err, root);
        this.rejudge(root);
      },
    );
  }
}
