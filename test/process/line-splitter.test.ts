import { test } from "node:test";
import assert from "node:assert/strict";

import { LineSplitter, type SplitLine } from "../../src/process/line-splitter.ts";

function split(maxLineBytes: number, chunks: (string | Buffer)[]): SplitLine[] {
  const splitter = new LineSplitter(maxLineBytes);
  return [...chunks.flatMap((c) => splitter.push(Buffer.isBuffer(c) ? c : Buffer.from(c))), ...splitter.end()];
}

function line(text: string, extra: Partial<SplitLine> = {}): SplitLine {
  return { text, truncated: false, terminated: true, ...extra };
}

void test("joins a line that arrives in several chunks, and keeps empty lines", () => {
  assert.deepEqual(split(100, ["ab", "c\nde", "\n\n", "f\n"]), [line("abc"), line("de"), line(""), line("f")]);
});

void test("a character split between two chunks comes out whole", () => {
  const bytes = Buffer.from("né\n");
  assert.deepEqual(split(100, [bytes.subarray(0, 2), bytes.subarray(2)]), [line("né")]);
});

void test("a last line without a newline is delivered when the stream ends", () => {
  assert.deepEqual(split(100, ["one\ntwo"]), [line("one"), line("two", { terminated: false })]);
});

void test("a line over the cap is cut and flagged, and the lines after it are intact", () => {
  assert.deepEqual(split(4, ["abcdefgh\nxy\n"]), [line("abcd", { truncated: true }), line("xy")]);
});

void test("the dropped rest of a long line may span many chunks", () => {
  assert.deepEqual(split(3, ["ab", "cd", "ef", "gh", "\nok\n"]), [line("abc", { truncated: true }), line("ok")]);
});

void test("a line of exactly the cap is not cut", () => {
  assert.deepEqual(split(3, ["abc\n"]), [line("abc")]);
});

void test("a cut never splits a character in half", () => {
  assert.deepEqual(split(2, ["aé\n"]), [line("a", { truncated: true })]);
});

void test("an over-long last line without a newline is delivered once, cut", () => {
  assert.deepEqual(split(2, ["abcdef"]), [line("ab", { truncated: true })]);
});
