// Reading models on the Hugging Face Hub without downloading them: a Hub repository as a FileAccess
// (src/node/access.ts) for the model-folder reader, ranged reads for the checkpoint readers, and
// the target syntax (hf://owner/name[@revision][/subfolder], Hub URLs). Node side only: nothing in
// src/engine imports it.
export { HubError, type HubErrorKind, type HubTarget, encodePath, isHubTarget, parseHubTarget, targetLabel, DEFAULT_ENDPOINT, defaultEndpoint } from "./target";
export { type HubOptions, type HubRepo, type HubStats, openHubRepo } from "./repo";
export { retryAfterMs } from "./http";
export { defaultCacheDir } from "./cache";
export { findToken, tokenFilePath } from "./token";
