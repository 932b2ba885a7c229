/**
 * Names (claim names, `kid`s) for a sentence: at most `max`, each cut to 40 characters, anything but
 * printable ASCII replaced, then "and N more"; "none" for an empty list. Never values.
 */
export function listNames(names: readonly string[], max = 10): string {
  if (names.length === 0) return "none";
  const shown = names.slice(0, max).map((name) => {
    const clean = name.replace(/[^\x20-\x7e]/g, "?");
    return clean.length > 40 ? `${clean.slice(0, 37)}...` : clean;
  });
  return `${shown.join(", ")}${names.length > max ? ` and ${names.length - max} more` : ""}`;
}
