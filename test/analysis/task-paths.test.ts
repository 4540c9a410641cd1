import { test } from "node:test";
import assert from "node:assert/strict";
import { pathsInTask } from "../../src/analysis/task-paths.ts";

void test("finds files and directories a task names, normalized and without repeats", () => {
  assert.deepEqual(
    pathsInTask("Fix src/parse.ts and ./lib/util.js; update README and package.json, then src/parse.ts again. Also docs/ and Makefile."),
    ["src/parse.ts", "lib/util.js", "README", "package.json", "docs/", "Makefile"],
  );
});

void test("ignores prose that looks a little like a path", () => {
  assert.deepEqual(pathsInTask("Use Node.js, e.g. and/or client/server in v1.2 with OAuth2, see https://example.com/a.ts"), []);
});
