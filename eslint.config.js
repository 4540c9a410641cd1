// Type-aware lint for TypeScript: floating promises and committed `.only` are the bugs we most want
// caught. Plain JS files (the bin shim, the example's scripted agent) get the untyped rules.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: nodeGlobals, sourceType: "module" },
  },
);
