import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exportFeatureList, FEATURE_SCHEMA, importFeatureList, isPlainFeature } from "../../src/plan/import/feature-list.ts";
import type { Plan } from "../../src/plan/plan.ts";
import { fixture } from "./fixture.ts";

const FILE = "feature_list.json";

function setStatus(plan: Plan, id: string, status: Plan["items"][number]["status"], reason?: string): void {
  const item = plan.items.find((i) => i.id === id);
  assert.ok(item, id);
  item.status = status;
  if (reason === undefined) delete item.blocked_reason;
  else item.blocked_reason = reason;
}

void describe("feature_list.json import", () => {
  void it("reads every feature with the seed's meaning of passes and blocked", () => {
    const { plan, problems } = importFeatureList(fixture(FILE), FILE);
    assert.deepEqual(problems, []);
    assert.deepEqual(plan.source, { format: "feature-list", file: FILE });
    assert.deepEqual(
      plan.items.map((i) => [i.id, i.status]),
      [
        ["feature-001", "passed"],
        ["feature-002", "pending"],
        ["feature-003", "pending"],
        ["feature-004", "blocked"],
        ["qa-items-001", "pending"],
      ],
    );
    const auth = plan.items[1];
    assert.deepEqual(auth, {
      id: "feature-002",
      name: "User authentication",
      description: "Password login with session tokens stored in an HttpOnly cookie; lockout after 5 failures.",
      category: "security",
      priority: 2,
      dependencies: ["feature-001"],
      tests: ["valid login sets cookie", "bad password rejected", "lockout after 5 failures"],
      verify: ["cargo test auth::"],
      status: "pending",
      attempts: 0,
    });
    assert.equal(plan.items[3]?.blocked_reason, `marked blocked in ${FILE}`);
  });

  void it("honours an explicit complexity in any case, as the seed does", () => {
    const { plan } = importFeatureList(fixture(FILE), FILE);
    assert.equal(plan.items[2]?.complexity, "high");
    const odd = importFeatureList(JSON.stringify({ features: [{ id: "a", name: "A", complexity: "extreme" }] }), FILE);
    assert.equal(odd.plan.items[0]?.complexity, undefined);
  });

  void it("applies the seed's defaults to missing fields", () => {
    const { plan } = importFeatureList(JSON.stringify({ features: [{ id: "a", name: "A" }] }), FILE);
    assert.deepEqual(plan.items[0], {
      id: "a",
      name: "A",
      description: "",
      category: "",
      priority: 99,
      dependencies: [],
      tests: [],
      verify: [],
      status: "pending",
      attempts: 0,
    });
  });

  void it("reports each bad feature at its path and keeps the good ones", () => {
    const text = JSON.stringify({
      features: [
        { id: "ok", name: "Fine" },
        { id: "bad", name: 7, dependencies: ["ok", true] },
        { id: "", name: "empty id" },
      ],
    });
    const { plan, problems, skippedIds } = importFeatureList(text, FILE);
    assert.deepEqual(plan.items.map((i) => i.id), ["ok"]);
    assert.deepEqual(skippedIds, ["bad"]);
    assert.deepEqual(
      problems.map((p) => [p.kind, p.path]),
      [
        ["schema", "features[1].name"],
        ["schema", "features[1].dependencies[1]"],
        ["schema", "features[2].id"],
      ],
    );
    assert.ok(problems.every((p) => p.file === FILE && p.severity === "error"));
  });

  void it("reports a file without a features list", () => {
    const { plan, problems } = importFeatureList('{"items": []}', FILE);
    assert.equal(plan.items.length, 0);
    assert.deepEqual(problems.map((p) => p.path), ["features"]);
  });

  void it("reads a file saved with a byte-order mark", () => {
    assert.equal(importFeatureList(`\uFEFF${fixture(FILE)}`, FILE).plan.items.length, 5);
  });

  void it("throws a bad_plan error naming the file for invalid JSON", () => {
    assert.throws(() => importFeatureList('{"features": [', FILE), (e: unknown) => {
      assert.ok(e instanceof Error && "reason" in e);
      assert.equal(e.reason, "bad_plan");
      assert.match(e.message, /^feature_list\.json: not valid JSON/);
      return true;
    });
  });
});

void describe("feature_list.json export", () => {
  void it("writes the loop's results and keeps everything else in the file", () => {
    const original = fixture(FILE);
    const { plan } = importFeatureList(original, FILE);
    setStatus(plan, "feature-002", "passed");
    setStatus(plan, "feature-003", "failed");
    setStatus(plan, "qa-items-001", "blocked", "blocked by feature-003");

    const out = exportFeatureList(plan, original);
    const data = JSON.parse(out) as { project: string; generated_by: string; features: Record<string, unknown>[] };
    assert.equal(data.project, "inventory-service");
    assert.equal(data.generated_by, "init session 1");
    const byId = new Map(data.features.map((f) => [f.id, f]));
    assert.equal(byId.get("feature-001")?.notes, "done in session 2");
    assert.equal(byId.get("feature-003")?.owner, "team-inventory");
    assert.equal(byId.get("feature-003")?.complexity, "High");
    assert.equal(byId.get("feature-002")?.passes, true);
    // Failed is not done: it stays to do, and is not blocked either.
    assert.equal(byId.get("feature-003")?.passes, false);
    assert.equal(byId.get("feature-003")?.blocked, false);
    assert.equal(byId.get("qa-items-001")?.passes, false);
    assert.equal(byId.get("qa-items-001")?.blocked, true);
    assert.equal(byId.get("qa-items-001")?.blocked_reason, "blocked by feature-003");
    assert.equal(byId.get("feature-004")?.blocked, true);
  });

  void it("changes nothing when nothing changed", () => {
    const original = fixture(FILE);
    const { plan } = importFeatureList(original, FILE);
    assert.deepEqual(JSON.parse(exportFeatureList(plan, original)), JSON.parse(original));
  });

  void it("does not add a blocked flag to features that never had one", () => {
    const original = fixture(FILE);
    const { plan } = importFeatureList(original, FILE);
    const qa = JSON.parse(exportFeatureList(plan, original)) as { features: Record<string, unknown>[] };
    assert.equal("blocked" in (qa.features[4] ?? {}), false);
  });

  void it("keeps the file's indentation", () => {
    const original = JSON.stringify({ features: [{ id: "a", name: "A", passes: false }] }, null, 4);
    const { plan } = importFeatureList(original, FILE);
    setStatus(plan, "a", "passed");
    assert.equal(exportFeatureList(plan, original), JSON.stringify({ features: [{ id: "a", name: "A", passes: true }] }, null, 4));
  });

  void it("keeps a one-line file on one line", () => {
    const original = JSON.stringify({ features: [{ id: "a", name: "A", passes: false }] });
    const { plan } = importFeatureList(original, FILE);
    assert.equal(exportFeatureList(plan, original), original);
  });

  void it("writes a fresh file when there is no original", () => {
    const { plan } = importFeatureList(fixture(FILE), FILE);
    const again = importFeatureList(exportFeatureList(plan), FILE);
    assert.deepEqual(again.plan.items, plan.items);
  });
});

void describe("isPlainFeature", () => {
  // The fast path may only accept what the schema accepts; both must agree on these.
  const cases: unknown[] = [
    { id: "a", name: "A" },
    { id: "", name: "A" },
    { id: "a" },
    { id: 1, name: "A" },
    { id: "a", name: "A", priority: Number.POSITIVE_INFINITY },
    { id: "a", name: "A", priority: Number.NaN },
    { id: "a", name: "A", priority: "1" },
    { id: "a", name: "A", passes: 1 },
    { id: "a", name: "A", blocked: null },
    { id: "a", name: "A", dependencies: ["b", 2] },
    { id: "a", name: "A", dependencies: "b" },
    { id: "a", name: "A", tests: [] },
    { id: "a", name: "A", verify: [null] },
    { id: "a", name: "A", complexity: 3 },
    { id: "a", name: "A", agent: "claude", blocked_reason: "x", extra: { any: "thing" } },
    { id: "a", name: "A", description: undefined },
    [{ id: "a", name: "A" }],
    null,
    "feature",
  ];
  for (const value of cases) {
    void it(`agrees with the schema on ${JSON.stringify(value) ?? String(value)}`, () => {
      assert.equal(isPlainFeature(value), FEATURE_SCHEMA.safeParse(value).success);
    });
  }
});
