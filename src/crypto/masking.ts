/** Values shorter than this show nothing of themselves. */
const MIN_REVEALING_LENGTH = 12;
/** At most this share of a value, and never more than MAX_REVEALED characters, is shown. */
const REVEALED_SHARE = 0.25;
const MAX_REVEALED = 7;

/**
 * The display form of a value: a few leading and trailing characters around
 * "...", enough to tell two keys apart and never enough to help guess one.
 * A 20-character AWS key id shows 5 of them (`AK...XYZ`), a long provider key
 * 7 (`sk-...cdef`); under 12 characters, only `***`.
 */
export function maskValue(value: string): string {
  const chars = Array.from(value);
  if (chars.length < MIN_REVEALING_LENGTH) return "***";
  const revealed = Math.min(MAX_REVEALED, Math.floor(chars.length * REVEALED_SHARE));
  const head = Math.min(3, Math.floor(revealed / 2));
  const tail = revealed - head;
  return `${chars.slice(0, head).join("")}...${chars.slice(-tail).join("")}`;
}

export function maskFields(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, maskValue(v)]));
}
