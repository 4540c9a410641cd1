// Minimal globs for S2's file zones: `**` crosses directories, `*` and `?` stay within one segment.

export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === "*" && glob.charAt(i + 1) === "*") {
      const slash = glob.charAt(i + 2) === "/";
      re += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") {
      re += "[^/]*";
    } else if (c === "?") {
      re += "[^/]";
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${re}$`);
}

/** A concrete path the glob matches: a stand-in for "some file in this zone". */
export function globWitness(glob: string): string {
  return glob.replace(/\*\*\//g, "").replace(/\*\*/g, "x").replace(/\*/g, "x").replace(/\?/g, "x");
}

/**
 * Whether two globs plausibly share a file: either one's witness matches the other. This sees
 * `src/**` and `src/a.ts` overlap, and keeps `**\/migrations/**` apart from `**\/components/**`; it
 * can miss contrived overlaps (`api/x.tsx` is in both `**\/api/**` and `**\/*.tsx`), which is why
 * zones are a prediction that verification and the merge still back up.
 */
export function globsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  return globToRegExp(a).test(globWitness(b)) || globToRegExp(b).test(globWitness(a));
}
