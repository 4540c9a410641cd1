// Seed 001's keyword tables for the complexity analyzer. Every entry is a regular-expression source,
// matched case-insensitively against the task text; each matching entry adds 0.25 to its level.
//
// Stems end in `\w*` rather than `\b`: the original wrote `\bmigrat\b`, `\boptimiz\b` and
// `\barchitect\b`, which can never match "migration", "optimize" or "architecture". The matched word
// is what `keywords_found` reports, so a stem reports the whole word ("authentication").

export const COMPLEXITY_LEVELS = ["simple", "medium", "complex"] as const;
export type Complexity = (typeof COMPLEXITY_LEVELS)[number];

export const COMPLEXITY_KEYWORDS: Readonly<Record<Complexity, readonly string[]>> = {
  simple: [
    String.raw`\bfix\s+typo\b`,
    String.raw`\bupdate\s+comment\b`,
    String.raw`\brename\b`,
    String.raw`\bsimple\s+fix\b`,
    String.raw`\bquick\s+change\b`,
    String.raw`\bminor\b`,
    String.raw`\bsmall\s+change\b`,
    String.raw`\bone[\s-]+line\b`,
    String.raw`\btrivial\b`,
    String.raw`\badd\s+log\b`,
    String.raw`\bformat\b`,
    String.raw`\blint\b`,
  ],
  medium: [
    String.raw`\badd\s+feature\b`,
    String.raw`\bimplement\b`,
    String.raw`\bcreate\b`,
    String.raw`\bfix\s+bug\b`,
    String.raw`\bupdate\b`,
    String.raw`\bmodify\b`,
    String.raw`\bextend\b`,
    String.raw`\bintegrate\b`,
    String.raw`\btest(?:s|ing)?\b`,
  ],
  complex: [
    String.raw`\brefactor\w*`,
    String.raw`\barchitect\w*`,
    String.raw`\bredesign\w*`,
    String.raw`\bmigrat\w*`,
    String.raw`\boptimiz\w*`,
    String.raw`\bscale\b`,
    String.raw`\bsecurity\b`,
    String.raw`\bperformance\b`,
    String.raw`\bdistributed\b`,
    String.raw`\bmicroservices?\b`,
    String.raw`\bapi\s+design\b`,
    String.raw`\bbreaking\s+change\b`,
    // The seed's own example makes authentication work complex. Both of its words are keywords: the
    // stem "auth" (auth, authz, authorization, ...) and "authentication", so "authentication" scores
    // 0.5 — which is what puts "Add user authentication with OAuth2" over the 0.4 complex threshold
    // with the seed's documented confidence of 0.85.
    String.raw`\bauth\w*`,
    String.raw`\bauthentication\b`,
  ],
};

/** Domains: the first matching pattern of a domain makes it a domain signal (and, for complex work, an agent). */
export const DOMAIN_PATTERNS: Readonly<Record<string, readonly string[]>> = {
  frontend: [
    String.raw`\breact\b`,
    String.raw`\bvue\b`,
    String.raw`\bangular\b`,
    String.raw`\bcss\b`,
    String.raw`\bui\b`,
    String.raw`\bux\b`,
    String.raw`\bcomponents?\b`,
    String.raw`\bstyles?\b`,
    String.raw`\bresponsive\b`,
    String.raw`\baccessibility\b`,
    String.raw`\ba11y\b`,
    String.raw`\bhtml\b`,
  ],
  backend: [
    String.raw`\bapi\b`,
    String.raw`\bendpoints?\b`,
    String.raw`\bserver\b`,
    String.raw`\bservices?\b`,
    String.raw`\brest\b`,
    String.raw`\bgraphql\b`,
    // A stem for the same reason as the complexity table: the seed's example ("user authentication")
    // is a backend task, and `\bauth\b` would not see it.
    String.raw`\bauth\w*`,
    String.raw`\brouting\b`,
    String.raw`\bmiddleware\b`,
    String.raw`\bcontrollers?\b`,
    String.raw`\bbusiness\s+logic\b`,
  ],
  database: [
    String.raw`\bsql\b`,
    String.raw`\bdatabases?\b`,
    String.raw`\bdb\b`,
    String.raw`\bquery\b`,
    String.raw`\bmigrations?\b`,
    String.raw`\bschema\b`,
    String.raw`\btables?\b`,
    String.raw`\bindex\b`,
    String.raw`\bpostgres\w*`,
    String.raw`\bmysql\b`,
    String.raw`\bmongo\w*`,
    String.raw`\bredis\b`,
    String.raw`\borm\b`,
    String.raw`\brelation\b`,
  ],
  infrastructure: [
    String.raw`\bdocker\w*`,
    String.raw`\bkubernetes\b`,
    String.raw`\bk8s\b`,
    String.raw`\bci\b`,
    String.raw`\bcd\b`,
    String.raw`\bpipelines?\b`,
    String.raw`\bdeploy\w*`,
    String.raw`\bterraform\b`,
    String.raw`\baws\b`,
    String.raw`\bgcp\b`,
    String.raw`\bazure\b`,
    String.raw`\binfra\b`,
    String.raw`\bcontainers?\b`,
    String.raw`\bhelm\b`,
    String.raw`\bansible\b`,
  ],
};

export const SCOPES = ["single_file", "multi_file", "cross_module", "unknown"] as const;
export type ScopeEstimate = (typeof SCOPES)[number];

/** Checked in this order; the first scope with a matching pattern wins. */
export const SCOPE_PATTERNS: ReadonlyArray<readonly [Exclude<ScopeEstimate, "unknown">, readonly string[]]> = [
  ["single_file", [String.raw`\bthis\s+file\b`, String.raw`\bin\s+[\w./-]+\.\w+\b`, String.raw`\bsingle\s+file\b`]],
  ["multi_file", [String.raw`\bacross\b`, String.raw`\bmultiple\s+files\b`, String.raw`\bseveral\b`, String.raw`\ball\s+files\b`, String.raw`\bcodebase\b`]],
  ["cross_module", [String.raw`\bmodule\b`, String.raw`\bpackage\b`, String.raw`\bcross-cutting\b`, String.raw`\bsystem-wide\b`, String.raw`\bglobal\b`]],
];
