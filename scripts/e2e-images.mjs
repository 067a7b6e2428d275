// Copies the README's screenshots from the last `npm run e2e` (test/e2e/artifacts/, git-ignored) to
// docs/images/. The list is explicit: a picture enters the README only after someone looked at it.
// Fails, copying nothing, when one is missing or is not a PNG of a full workbench window, so a
// failed or partial run cannot replace a good picture.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const FROM = join(ROOT, "test/e2e/artifacts");
const TO = join(ROOT, "docs/images");

/** artifact name -> what it must show (printed, for the reviewer). */
const CHOSEN = {
  "problems-panel.png": "Problems panel: NL101 on a config.json, NL201 on a modeling .py",
  "quick-fix-menu.png": "the NL201 quick fix menu on the Gemma port",
  "hover-rms-norm-eps.png": "hover on rms_norm_eps with the family facts",
  "norm-lab-broken-dark.png": "Norm Lab on gemma-2-folded-weights (Dark Modern): verdict, next step, model map, tensor detail on one screen",
  "norm-lab-broken-light.png": "the same in Light Modern",
  "norm-lab-broken-high-contrast.png": "the same in Dark High Contrast",
  "norm-lab-correct-dark.png": "Norm Lab on the correct gemma-2-2b: the norms are right",
  "norm-lab-detail.png": "a tensor's detail opened by keyboard from the map",
  "norm-lab-gpu.png": "Norm Lab with WebGPU on SwiftShader: named a CPU fallback adapter, kernel check apart from the verdict",
  "lint-workspace-summary.png": "Lint Workspace's summary with Show Problems",
  "status-item.png": "the language status item: the active file's findings and Show Problems",
  "rule-doc-link.png": "a rule code in the Problems panel opened the bundled rule page",
  "walkthrough.png": "the Get started walkthrough",
  "hub-check.png": "Check a Hugging Face Model on the Hub stand-in: NL303 on the read-only remote config.json in Problems, the summary with requests and bytes",
  "hub-norm-lab.png": "the Norm Lab on the remote model: the verdict, and the bytes its ranged reads took",
};

/** Width and height from a PNG's IHDR chunk, or undefined when the bytes are not a PNG. */
function pngSize(bytes) {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || sig.some((b, i) => bytes[i] !== b)) return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

const problems = [];
for (const name of Object.keys(CHOSEN)) {
  const file = join(FROM, name);
  if (!existsSync(file)) {
    problems.push(`${name}: missing (run \`npm run e2e\` first)`);
    continue;
  }
  const size = pngSize(readFileSync(file));
  // The run's viewport is 1400 x 900; anything smaller is a cropped or broken capture.
  if (!size || size.width < 1400 || size.height < 900) problems.push(`${name}: not a full-window PNG (${size ? `${size.width}x${size.height}` : "bad signature"})`);
}
if (problems.length) {
  console.error(`e2e-images: nothing copied:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
mkdirSync(TO, { recursive: true });
for (const [name, what] of Object.entries(CHOSEN)) {
  copyFileSync(join(FROM, name), join(TO, name));
  const kb = (statSync(join(TO, name)).size / 1024).toFixed(0);
  console.log(`docs/images/${name} (${kb} KB): ${what}; taken ${statSync(join(FROM, name)).mtime.toISOString()}`);
}
