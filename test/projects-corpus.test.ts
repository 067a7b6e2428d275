// Precision on whole projects that define their own norms and load real checkpoints (LLMs-from-scratch,
// TransformerLens, nanoGPT, torchtune, ...), exported into .cache/projects/ by
// scripts/corpus/fetch-projects.sh. Each project is linted as a user would lint a checkout: the built
// CLI over the whole directory, from inside it, .gitignore not respected. Every finding at warning or
// above must be a true one that docs/findings.md writes up, and every one written up must still be
// found; the snapshot must be the commit docs/findings.md pins. Without the cache the suite is skipped
// and says so.
import { describeCorpusPrecision } from "./harness/corpus-precision";

describeCorpusPrecision("whole-projects corpus", "projects", "Whole projects");
