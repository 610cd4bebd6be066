/**
 * The display form of a value: first 3 characters, "...", last 4 for values
 * of 12 or more characters; "***" otherwise, since fewer characters would
 * reveal too large a share of a short value.
 */
export function maskValue(value: string): string {
  const chars = Array.from(value);
  if (chars.length < 12) return "***";
  return `${chars.slice(0, 3).join("")}...${chars.slice(-4).join("")}`;
}

export function maskFields(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, maskValue(v)]));
}
