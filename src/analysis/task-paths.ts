// File paths a task names ("fix the parser in src/parse.ts"). S4 counts them to size the work and
// S2 uses them to predict which files each agent will touch.

const FILE_EXTENSIONS = new Set([
  "ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs", "vue", "svelte", "astro",
  "py", "pyi", "rs", "go", "java", "kt", "kts", "scala", "rb", "php", "cs", "fs", "swift", "m", "mm",
  "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "zig", "ex", "exs", "erl", "hs", "ml", "clj", "dart", "lua", "r", "jl",
  "sh", "bash", "zsh", "ps1", "sql", "prisma", "graphql", "gql", "proto",
  "css", "scss", "sass", "less", "html", "htm",
  "json", "jsonc", "yaml", "yml", "toml", "ini", "cfg", "conf", "env", "xml", "csv", "lock",
  "md", "mdx", "rst", "txt", "adoc", "tf", "hcl",
]);

const BARE_FILE_NAMES = new Set(["makefile", "dockerfile", "gemfile", "rakefile", "procfile", "justfile", "jenkinsfile", "license", "readme"]);

/** First segments that make a slashed token a path even without an extension ("src/parser"). */
// Words like "client" or "server" are left out: "client/server" is prose far more often than a path.
const SOURCE_ROOTS = new Set([
  "src", "lib", "test", "tests", "spec", "app", "apps", "packages", "pkg", "cmd", "internal", "docs",
  "scripts", "bin", "migrations", ".github",
]);

/** Library names written like files. */
const NOT_FILES = new Set(["node.js", "vue.js", "next.js", "nuxt.js", "express.js", "react.js", "three.js", "d3.js", "chart.js", "ember.js", "backbone.js", "nest.js", "deno.js"]);

const TOKEN = /[\w@~.+-]+(?:\/[\w@~.+-]*)*/g;

/** Paths named in the text, normalized (no leading "./", no trailing punctuation), without repeats, in order. */
export function pathsInTask(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const token = m[0].replace(/[.,;:]+$/, "").replace(/^\.\//, "");
    // The host and path of a URL ("https://x/y") are not paths in the project.
    if (token === "" || text.slice(Math.max(0, m.index - 3), m.index) === "://") continue;
    if (isPathLike(token) && !found.includes(token)) found.push(token);
  }
  return found;
}

function isPathLike(token: string): boolean {
  const segments = token.split("/").filter((s) => s !== "");
  const last = segments.at(-1);
  if (last === undefined || (segments.length === 1 && NOT_FILES.has(last.toLowerCase()))) return false;
  const dot = last.lastIndexOf(".");
  const ext = dot > 0 ? last.slice(dot + 1).toLowerCase() : "";
  if (FILE_EXTENSIONS.has(ext)) return true;
  if (BARE_FILE_NAMES.has(last.toLowerCase())) return segments.length > 1 || /^[A-Z]/.test(last);
  if (segments.length < 2 && !token.endsWith("/")) return false;
  const first = (segments[0] ?? "").toLowerCase();
  // "and/or" and "client/server" are prose; "src/parser" and "lib/" are places in the tree.
  return SOURCE_ROOTS.has(first) || token.endsWith("/");
}
