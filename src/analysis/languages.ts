// Languages by file extension. "General purpose" ones are what make a repository multi-language for
// S4's complexity estimate; markup, styles and scripts around a project do not.

interface Language {
  name: string;
  generalPurpose: boolean;
}

const EXTENSIONS: Readonly<Record<string, Language>> = (() => {
  const table: Record<string, Language> = {};
  const add = (name: string, generalPurpose: boolean, exts: string[]): void => {
    for (const ext of exts) table[ext] = { name, generalPurpose };
  };
  add("TypeScript", true, ["ts", "tsx", "mts", "cts"]);
  add("JavaScript", true, ["js", "jsx", "mjs", "cjs"]);
  add("Python", true, ["py", "pyi"]);
  add("Rust", true, ["rs"]);
  add("Go", true, ["go"]);
  add("Java", true, ["java"]);
  add("Kotlin", true, ["kt", "kts"]);
  add("Scala", true, ["scala"]);
  add("Ruby", true, ["rb"]);
  add("PHP", true, ["php"]);
  add("C#", true, ["cs"]);
  add("F#", true, ["fs", "fsx"]);
  add("Swift", true, ["swift"]);
  add("Objective-C", true, ["m", "mm"]);
  add("C", true, ["c", "h"]);
  add("C++", true, ["cc", "cpp", "cxx", "hpp", "hh", "hxx"]);
  add("Zig", true, ["zig"]);
  add("Elixir", true, ["ex", "exs"]);
  add("Erlang", true, ["erl", "hrl"]);
  add("Haskell", true, ["hs"]);
  add("OCaml", true, ["ml", "mli"]);
  add("Clojure", true, ["clj", "cljs", "cljc"]);
  add("Dart", true, ["dart"]);
  add("Lua", true, ["lua"]);
  add("R", true, ["r"]);
  add("Julia", true, ["jl"]);
  add("Vue", false, ["vue"]);
  add("Svelte", false, ["svelte"]);
  add("HTML", false, ["html", "htm"]);
  add("CSS", false, ["css", "scss", "sass", "less"]);
  add("Shell", false, ["sh", "bash", "zsh"]);
  add("PowerShell", false, ["ps1"]);
  add("SQL", false, ["sql"]);
  add("Terraform", false, ["tf", "hcl"]);
  return table;
})();

/** The language of one path by its extension, if it is one we know. */
export function languageOf(file: string): { name: string; generalPurpose: boolean } | undefined {
  const base = file.slice(file.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? undefined : EXTENSIONS[base.slice(dot + 1).toLowerCase()];
}

export interface LanguageCount {
  language: string;
  files: number;
  generalPurpose: boolean;
}

/** Languages present, most files first (ties by name, so the order is stable). */
export function countLanguages(files: readonly string[]): LanguageCount[] {
  const counts = new Map<string, LanguageCount>();
  for (const f of files) {
    const lang = languageOf(f);
    if (!lang) continue;
    const c = counts.get(lang.name) ?? { language: lang.name, files: 0, generalPurpose: lang.generalPurpose };
    c.files++;
    counts.set(lang.name, c);
  }
  return [...counts.values()].sort((a, b) => b.files - a.files || (a.language < b.language ? -1 : 1));
}

/**
 * General-purpose languages with a real share of the code: at least 3 files and 10 % of the
 * general-purpose files, so a TypeScript project with an eslint.config.js is not "multi-language".
 */
export function significantLanguages(counts: readonly LanguageCount[]): string[] {
  const general = counts.filter((c) => c.generalPurpose);
  const total = general.reduce((n, c) => n + c.files, 0);
  return general.filter((c) => c.files >= 3 && c.files >= total * 0.1).map((c) => c.language);
}
