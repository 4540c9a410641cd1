import { test } from "node:test";
import assert from "node:assert/strict";
import { globToRegExp, globsOverlap } from "../../src/analysis/glob.ts";

void test("** crosses directories, * and ? stay within one", () => {
  assert.ok(globToRegExp("**/migrations/**").test("db/migrations/001.sql"));
  assert.ok(globToRegExp("**/migrations/**").test("migrations/001.sql"));
  assert.ok(globToRegExp("src/*.ts").test("src/a.ts"));
  assert.ok(!globToRegExp("src/*.ts").test("src/x/a.ts"));
  assert.ok(globToRegExp("a?.md").test("ab.md"));
  assert.ok(!globToRegExp("a.md").test("aXmd"));
});

void test("globs overlap when one's witness falls in the other", () => {
  assert.ok(globsOverlap("src/**", "src/a.ts"));
  assert.ok(globsOverlap("**/*.test.*", "test/a.test.ts"));
  assert.ok(!globsOverlap("**/migrations/**", "**/components/**"));
  assert.ok(!globsOverlap("**/api/**", "**/test/**"));
});
