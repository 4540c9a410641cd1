// JSON as agents really write it into a file: plain, in a Markdown fence (with or without a
// language), after a sentence, before a closing remark, cut off mid-way, or of the wrong shape —
// unwrapped where it can be, and otherwise a problem the agent can act on.

import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { parseStructured, unwrapJson } from "../../src/engine/planning/structured-output.ts";

const schema = z.object({ items: z.array(z.object({ id: z.string(), score: z.number().int().min(1).max(10) })).min(1) });
const good = { items: [{ id: "a", score: 3 }] };

void test("plain, fenced, prefixed and suffixed JSON all read as the same value; only the plain one counts as not unwrapped", () => {
  const plain = JSON.stringify(good, null, 2);
  const cases: [string, boolean][] = [
    [plain, false],
    ["```json\n" + plain + "\n```", true],
    ["```\n" + plain + "\n```\n", true],
    ["Here is the plan:\n\n" + plain, true],
    [plain + "\n\nLet me know if you want changes.", true],
    ["Sure! ```json\n" + plain + "\n``` Done.", true],
    // Brackets in the prose around it, and a shell fence before it.
    ["The items [R1-R3] are below {see plan.md}:\n" + plain + "\nAll done (see [notes]).", true],
    ["Run this first:\n```sh\nnpm test\n```\nThen:\n```json\n" + plain + "\n```", true],
  ];
  for (const [text, unwrapped] of cases) {
    const r = parseStructured(text, schema);
    assert.ok(r.ok, `${text}: ${r.ok ? "" : r.problem}`);
    assert.deepEqual(r.value, good);
    assert.deepEqual(r.raw, good);
    assert.equal(r.unwrapped, unwrapped, text);
  }
  assert.equal(unwrapJson("[1, 2]").json, "[1, 2]");
});

void test("a cut-off answer, invalid JSON, an empty file and the wrong shape are problems in words", () => {
  const cut = parseStructured('{"items": [{"id": "a", "score": 3}, {"id": "b", "sc', schema);
  assert.deepEqual(cut, { ok: false, problem: "the JSON is cut off: it ends before all its brackets are closed" });
  const fencedCut = parseStructured('```json\n{"items": [{"id": "a"', schema);
  assert.equal(fencedCut.ok ? "" : fencedCut.problem, "the JSON is cut off: it ends before all its brackets are closed");
  const invalid = parseStructured('{"items": [{"id": "a", "score": 3,}]}', schema);
  assert.match(invalid.ok ? "" : invalid.problem, /^it is not valid JSON \(/);
  assert.deepEqual(parseStructured("  \n", schema), { ok: false, problem: "the file is empty" });
  const shape = parseStructured('{"items": [{"id": "a", "score": 11}, {"id": 2, "score": 1}]}', schema);
  assert.match(shape.ok ? "" : shape.problem, /^it does not match the required shape — items\.0\.score: .*; items\.1\.id: /);
});
