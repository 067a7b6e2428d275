// The transformers release the shipped knowledge base is extracted from. Changing it is the first of
// the two commands that absorb a new release (fetch, extract, review `npm run kb:diff`, build).
export const PINNED = "5.18.0";
