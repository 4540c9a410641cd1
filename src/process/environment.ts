// The environment an agent process starts with is built from an allowlist, never from the whole
// of Viable's own environment. The user's shell usually holds credentials the agent has no business
// seeing (cloud keys, GITHUB_TOKEN, npm tokens): an agent runs arbitrary commands and its output
// lands in transcripts and in a model's context, so anything it can read can leak. Variables that
// change how programs start are just as dangerous: NODE_OPTIONS (`--require`, `--inspect`) would be
// applied to every Node-based agent CLI. Each runtime adds the names it genuinely needs
// (e.g. /^ANTHROPIC_/ for Claude Code) through `extraAllowed`.

/** What any program needs to find its tools, its home, its locale and its terminal. */
const BASE_ALLOWED: readonly (string | RegExp)[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  /^LC_/,
  "TERM",
  "TZ",
  "TMPDIR",
];

export function scrubbedEnv(base: NodeJS.ProcessEnv, extraAllowed: readonly (string | RegExp)[] = []): Record<string, string> {
  const allowed = [...BASE_ALLOWED, ...extraAllowed];
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if (allowed.some((rule) => (typeof rule === "string" ? rule === name : rule.test(name)))) env[name] = value;
  }
  return env;
}
