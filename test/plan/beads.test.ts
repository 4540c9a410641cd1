import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exportBeads, importBeads } from "../../src/plan/import/beads.ts";
import type { PlanItem } from "../../src/plan/plan.ts";
import { fixture } from "./fixture.ts";

const FILE = ".beads/issues.jsonl";
const NOW = "2026-01-05T12:00:00.000Z";

void describe("beads import", () => {
  const { plan, problems, locate } = importBeads(fixture("issues.jsonl"), FILE);
  const items = new Map(plan.items.map((i) => [i.id, i]));

  void it("makes an item of every issue but tombstones", () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(plan.items.map((i) => i.id), ["bd-b5", "bd-e1", "bd-e1.1", "bd-e1.2", "bd-r3", "bd-v6", "bd-x0"]);
    assert.equal(plan.source.format, "beads");
  });

  void it("orders work only by blocks dependencies; related and discovered-from are not waited for", () => {
    assert.deepEqual(items.get("bd-r3")?.dependencies, []);
  });

  void it("gives epic members their epic's blockers and makes the epic wait for its members", () => {
    assert.deepEqual(items.get("bd-e1.1")?.dependencies, ["bd-x0"]);
    assert.deepEqual(items.get("bd-e1.2")?.dependencies, ["bd-e1.1", "bd-x0"]);
    assert.deepEqual(items.get("bd-e1")?.dependencies, ["bd-x0", "bd-e1.1", "bd-e1.2"]);
    assert.equal(items.get("bd-e1.2")?.parent, "bd-e1");
  });

  void it("drops dependencies on deleted issues", () => {
    assert.deepEqual(items.get("bd-b5")?.dependencies, []);
  });

  void it("locates dependencies by line", () => {
    const at = (id: string) => plan.items.findIndex((i) => i.id === id);
    assert.equal(locate.item(at("bd-e1.2")), "line 4");
    assert.equal(locate.dependency(at("bd-e1.2"), 0), "line 4: dependencies[1].depends_on_id");
    // Inherited from the epic: where the epic wrote it.
    assert.equal(locate.dependency(at("bd-e1.2"), 1), "line 2: dependencies[0].depends_on_id");
    // The epic's wait for a member is written on the member's line.
    assert.equal(locate.dependency(at("bd-e1"), 2), "line 4: dependencies[0]");
  });

  void it("maps statuses, priorities (missing is P0), types, acceptance criteria and verify blocks", () => {
    assert.deepEqual(
      plan.items.map((i) => i.status),
      ["blocked", "pending", "pending", "pending", "pending", "pending", "passed"],
    );
    assert.equal(items.get("bd-b5")?.blocked_reason, "blocked in beads");
    assert.equal(items.get("bd-r3")?.priority, 0);
    assert.equal(items.get("bd-r3")?.category, "bug");
    assert.deepEqual(items.get("bd-e1.1")?.tests, ["tokens stored, PANs never logged", "provider errors mapped"]);
    assert.equal(items.get("bd-e1.2")?.description, "POST /checkout charging a stored token.\n\nDesign:\nIdempotency key per request.");
    assert.deepEqual(items.get("bd-v6")?.verify, ["npm run build && npm test"]);
  });

  void it("reports bad lines and keeps reading", () => {
    const text = ['{"id":"a","title":"A","status":"open"}', "{not json", '{"id":"b","status":"open"}', '{"id":"c","title":"C","priority":9}'].join("\n");
    const result = importBeads(text, FILE);
    assert.deepEqual(result.plan.items.map((i) => i.id), ["a"]);
    assert.deepEqual(
      result.problems.map((p) => p.path),
      ["line 2", "line 3: title", "line 4: priority"],
    );
    assert.deepEqual(result.skippedIds, ["b", "c"]);
  });
});

void describe("beads export", () => {
  const original = fixture("issues.jsonl");
  const fresh = () => importBeads(original, FILE).plan;
  const set = (items: PlanItem[], id: string, status: PlanItem["status"]) => {
    const item = items.find((i) => i.id === id);
    assert.ok(item);
    item.status = status;
  };

  void it("leaves the file byte for byte when nothing changed", () => {
    assert.equal(exportBeads(fresh(), original, { now: NOW }), original);
  });

  void it("closes passed issues with closed_at after updated_at, and changes no other line", () => {
    const plan = fresh();
    set(plan.items, "bd-e1.1", "passed");
    set(plan.items, "bd-e1.2", "failed");
    const out = exportBeads(plan, original, { now: NOW }).split("\n");
    const before = original.split("\n");
    const changed = out.map((line, i) => (line === before[i] ? -1 : i)).filter((i) => i >= 0);
    assert.deepEqual(changed, [2, 3]);
    const closed = JSON.parse(out[2] as string) as Record<string, unknown>;
    assert.equal(closed.status, "closed");
    assert.equal(closed.closed_at, NOW);
    assert.equal(closed.updated_at, NOW);
    assert.deepEqual(Object.keys(closed).slice(-3), ["updated_at", "closed_at", "dependencies"]);
    // Failed is not done: open again (it was in progress).
    assert.equal((JSON.parse(out[3] as string) as Record<string, unknown>).status, "open");
  });

  void it("reopening removes closed_at, as bd requires", () => {
    const plan = fresh();
    set(plan.items, "bd-x0", "blocked");
    const line = exportBeads(plan, original, { now: NOW }).split("\n")[7] as string;
    const issue = JSON.parse(line) as Record<string, unknown>;
    assert.equal(issue.status, "blocked");
    assert.equal("closed_at" in issue, false);
  });

  void it("escapes like Go's encoding/json in rewritten lines", () => {
    const plan = fresh();
    set(plan.items, "bd-v6", "passed");
    const line = exportBeads(plan, original, { now: NOW }).split("\n")[6] as string;
    assert.match(line, /npm run build \\u0026\\u0026 npm test/);
  });
});
