// Type-aware lint for TypeScript: floating promises and committed `.only` are the bugs we most want
// caught. Plain JS files (the bin shim, the example's scripted agent) get the untyped rules.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Imports point inward (docs/ARCHITECTURE.md, "Layers"): each folder of src/ may import only the
// folders listed for it. Everything else is refused with the rule that it breaks.
const LAYERS = {
  domain: [],
  config: ["domain"],
  plan: ["domain"],
  process: ["domain"],
  workspace: ["domain"],
  viability: ["domain"],
  store: ["domain", "plan", "workspace"],
  agents: ["domain", "config", "process", "workspace"],
  analysis: ["domain", "workspace"],
  audit: ["domain", "process", "workspace"],
  engine: ["domain", "config", "plan", "process", "workspace", "viability", "store", "agents", "analysis", "audit"],
  swarm: ["domain", "config", "plan", "process", "workspace", "viability", "store", "agents", "analysis", "audit", "engine"],
  app: ["domain", "config", "plan", "process", "workspace", "viability", "store", "agents", "analysis", "audit", "engine", "swarm"],
  cli: ["domain", "app", "server", "mcp"],
  server: ["domain", "app", "mcp"],
  mcp: ["domain", "app"],
};
const FOLDERS = Object.keys(LAYERS);
const layerRules = FOLDERS.map((folder) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    "no-restricted-imports": ["error", {
      patterns: FOLDERS.filter((other) => other !== folder && !LAYERS[folder].includes(other)).map((other) => ({
        // Relative imports only: a path that climbs out of src/<folder> into src/<other>.
        regex: `^(\\.\\./)+${other}/`,
        message: `src/${folder} may import only ${LAYERS[folder].length ? LAYERS[folder].map((f) => `src/${f}`).join(", ") : "nothing outside itself"}: imports point inward (docs/ARCHITECTURE.md, Layers).`,
      })),
    }],
  },
}));

const browserGlobals = Object.fromEntries([
  "window", "document", "location", "history", "console", "fetch", "EventSource", "URL", "URLSearchParams", "setTimeout", "clearTimeout",
  "setInterval", "clearInterval", "requestAnimationFrame", "cancelAnimationFrame", "ResizeObserver", "performance", "navigator", "localStorage",
  "HTMLElement", "Event", "KeyboardEvent", "MouseEvent", "WheelEvent", "AbortController", "Intl",
].map((name) => [name, "readonly"]));

const nodeGlobals = { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", performance: "readonly" };

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "**/.viable/state/**", "**/node_modules/**", "**/.cache/**"] },
  js.configs.recommended,
  {
    files: ["**/*.ts"],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "no-restricted-properties": ["error",
        { object: "describe", property: "only", message: "Do not commit .only" },
        { object: "it", property: "only", message: "Do not commit .only" },
        { object: "test", property: "only", message: "Do not commit .only" }],
    },
  },
  ...layerRules,
  {
    files: ["**/*.js", "**/*.mjs"],
    ignores: ["web/**"],
    languageOptions: { globals: nodeGlobals, sourceType: "module" },
  },
  {
    // The dashboard runs in the browser, without a build step.
    files: ["web/**/*.js"],
    languageOptions: { globals: { ...browserGlobals }, sourceType: "module" },
  },
);
