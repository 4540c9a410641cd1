import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { editJsonText } from "../../src/plan/import/json-edit.ts";

void describe("editJsonText", () => {
  const doc = '{\n  "project": "x",\n  "features": [\n    { "id": "a", "deps": ["b", "c"], "passes": false },\n    {\n      "id": "b",\n      "passes": false\n    }\n  ]\n}';

  void it("returns the text itself when there is nothing to change", () => {
    assert.equal(editJsonText(doc, []), doc);
  });

  void it("replaces only the values that change, inline arrays and missing final newline kept", () => {
    const out = editJsonText(doc, [
      { path: ["features", 0, "passes"], value: true },
      { path: ["features", 1, "passes"], value: true },
    ]);
    assert.equal(out, doc.replace('"passes": false }', '"passes": true }').replace('"passes": false\n', '"passes": true\n'));
  });

  void it("adds a missing property after the last one, on a line of its own or inline as the object is written", () => {
    const out = editJsonText(doc, [
      { path: ["features", 0, "blocked"], value: true },
      { path: ["features", 1, "blocked_reason"], value: "waits" },
    ]);
    assert.match(out, /"passes": false, "blocked": true \}/);
    assert.match(out, /"passes": false,\n {6}"blocked_reason": "waits"\n {4}\}/);
    assert.deepEqual((JSON.parse(out) as { features: Record<string, unknown>[] }).features[1], { id: "b", passes: false, blocked_reason: "waits" });
  });

  void it("removes a property with the comma that joins it, first, middle or last", () => {
    const obj = '{"a": 1, "b": 2, "c": 3}';
    assert.equal(editJsonText(obj, [{ path: ["a"], remove: true }]), '{"b": 2, "c": 3}');
    assert.equal(editJsonText(obj, [{ path: ["b"], remove: true }]), '{"a": 1, "c": 3}');
    assert.equal(editJsonText(obj, [{ path: ["c"], remove: true }]), '{"a": 1, "b": 2}');
    assert.equal(editJsonText(obj, [{ path: ["a"], remove: true }, { path: ["b"], remove: true }]), '{"c": 3}');
    assert.equal(editJsonText(obj, [{ path: ["zz"], remove: true }]), obj);
  });

  void it("appends array elements indented like their siblings, in the document's line endings", () => {
    const crlf = '[\r\n  {\r\n    "id": "a"\r\n  }\r\n]\r\n';
    const out = editJsonText(crlf, [{ path: [1], value: { id: "b", passes: false } }], 2);
    assert.equal(out, '[\r\n  {\r\n    "id": "a"\r\n  },\r\n  {\r\n    "id": "b",\r\n    "passes": false\r\n  }\r\n]\r\n');
  });

  void it("reaches values under keys that need escaping, and leaves other subtrees untouched", () => {
    const text = '{"master": {"tasks": [{"id": 1, "status": "done"}]}, "we\\"ird": {"tasks": [{"id": 1, "status": "pending"}]}}';
    const out = editJsonText(text, [{ path: ['we"ird', "tasks", 0, "status"], value: "done" }]);
    assert.equal(out, text.replace('"status": "pending"', '"status": "done"'));
  });
});
