// Precision on real converter, sanitize and loader code (issue 17): llama.cpp's convert_hf_to_gguf.py
// and conversion/ package with gguf-py, NeMo's checkpoint converters and HF importers/exporters,
// Megatron-LM's tools/checkpoint, executorch's model examples and optimum-executorch, exported into
// .cache/converters/ by scripts/corpus/fetch-projects.sh. Each project is linted whole with the built
// CLI; every finding at warning or above must be one docs/findings.md's "Converters corpus" triages as
// true, every one triaged there must still be found, and the snapshot must be the commit it pins.
// Without the cache the suite is skipped and says so.
import { describeCorpusPrecision } from "./harness/corpus-precision";

describeCorpusPrecision("converters corpus", "converters", "Converters corpus");
