// Where the Hub token comes from, in huggingface_hub's order (utils/_auth.py get_token,
// constants.py HF_HOME / HF_TOKEN_PATH): HF_TOKEN (then the older HUGGING_FACE_HUB_TOKEN), else the
// token file: $HF_TOKEN_PATH, else $HF_HOME/token, else $XDG_CACHE_HOME/huggingface/token, else
// ~/.cache/huggingface/token, the file `huggingface-cli login` writes.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface TokenSource {
  token?: string;
  /** Where it came from, for messages ("HF_TOKEN", a file path); never the token itself. */
  from: string;
}

export function tokenFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_TOKEN_PATH) return env.HF_TOKEN_PATH;
  const home = env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "huggingface");
  return join(home, "token");
}

export function findToken(env: NodeJS.ProcessEnv = process.env): TokenSource {
  for (const name of ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"]) {
    const v = env[name]?.trim();
    if (v) return { token: v, from: name };
  }
  const file = tokenFilePath(env);
  try {
    const v = readFileSync(file, "utf8").trim();
    if (v) return { token: v, from: file };
  } catch {}
  return { from: "none" };
}
