import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUserError } from "../../src/domain/errors.ts";
import { newItem, type Plan, type PlanItem } from "../../src/plan/plan.ts";
import { Scheduler } from "../../src/plan/scheduler.ts";
import { validatePlan } from "../../src/plan/validate.ts";

function plan(...items: PlanItem[]): Plan {
  return { version: 1, source: { format: "feature-list", file: "feature_list.json" }, items };
}
const item = (id: string, fields: Partial<PlanItem> = {}) => newItem({ id, name: id, priority: 1, ...fields });

void describe("Scheduler ordering", () => {
  void it("orders ready items by priority, then longest remaining critical path, then id", () => {
    const s = new Scheduler(
      plan(
        item("alone"),
        item("chain-head"),
        item("chain-1", { dependencies: ["chain-head"] }),
        item("chain-2", { dependencies: ["chain-1"] }),
        item("urgent", { priority: 0 }),
        item("tie-b", { priority: 2 }),
        item("tie-a", { priority: 2 }),
      ),
    );
    assert.deepEqual(s.ready(), ["urgent", "chain-head", "alone", "tie-a", "tie-b"]);
    assert.equal(s.criticalPath("chain-head"), 3);
    assert.deepEqual(s.take(), ["urgent", "chain-head", "alone", "tie-a", "tie-b"]);
  });

  void it("priority beats a longer critical path", () => {
    const s = new Scheduler(plan(item("long", { priority: 2 }), item("after", { priority: 2, dependencies: ["long"] }), item("short", { priority: 1 })));
    assert.deepEqual(s.ready(), ["short", "long"]);
  });

  void it("weighs the critical path by the estimates given, as a map or a function", () => {
    const p = plan(item("a"), item("a2", { dependencies: ["a"] }), item("b"), item("b2", { dependencies: ["b"] }), item("b3", { dependencies: ["b2"] }));
    assert.deepEqual(new Scheduler(p).ready(), ["b", "a"]);
    const slow = new Scheduler(p, { weights: new Map([["a2", 10]]) });
    assert.deepEqual(slow.ready(), ["a", "b"]);
    assert.equal(slow.criticalPath("a"), 11);
    const byName = new Scheduler(p, { weights: (i) => (i.id.startsWith("a") ? 5 : undefined) });
    assert.deepEqual(byName.ready(), ["a", "b"]);
    // Nonsense estimates count as 1.
    assert.equal(new Scheduler(p, { weights: new Map([["b", -3], ["b2", Number.NaN]]) }).criticalPath("b"), 3);
  });

  void it("leaves work already passed out of the critical path", () => {
    const s = new Scheduler(plan(item("a", { status: "passed" }), item("b", { dependencies: ["a"] }), item("c", { dependencies: ["b"] })));
    assert.equal(s.criticalPath("a"), 2);
    assert.deepEqual(s.ready(), ["b"]);
  });
});

void describe("Scheduler progress", () => {
  void it("makes an item ready only when every dependency has passed", () => {
    const s = new Scheduler(plan(item("a"), item("b"), item("c", { dependencies: ["a", "b"] })));
    assert.deepEqual(s.take(), ["a", "b"]);
    assert.deepEqual(s.ready(), []);
    s.markPassed("a");
    assert.deepEqual(s.ready(), []);
    s.markPassed("b");
    assert.deepEqual(s.ready(), ["c"]);
    assert.equal(s.status("c"), "pending");
  });

  void it("fails, retries and counts attempts; done only when nothing can move", () => {
    const s = new Scheduler(plan(item("a"), item("b", { dependencies: ["a"] })));
    assert.deepEqual(s.take(), ["a"]);
    s.markFailed("a");
    assert.equal(s.status("a"), "failed");
    assert.equal(s.done(), true);
    assert.equal(s.remaining(), 2);
    s.retry("a");
    assert.deepEqual(s.take(), ["a"]);
    assert.equal(s.attempts("a"), 2);
    s.markPassed("a");
    assert.deepEqual(s.take(), ["b"]);
    s.markPassed("b");
    assert.equal(s.done(), true);
    assert.equal(s.remaining(), 0);
    assert.deepEqual(s.counts(), { pending: 0, running: 0, passed: 2, blocked: 0, failed: 0, ready: 0 });
  });

  void it("a retry with precedence goes before better-ranked ready items, within its key's limit, and only once", () => {
    const s = new Scheduler(plan(item("good", { priority: 0 }), item("loser", { priority: 9 }), item("other", { priority: 0 })), {
      keyOf: (i) => (i.id === "other" ? "codex" : "claude"), keyLimits: { claude: 1 },
    });
    // loser runs (good held back by the filter), fails, and is retried with precedence.
    assert.deepEqual(s.take(1, (i) => i.id === "loser"), ["loser"]);
    s.markFailed("loser");
    s.retry("loser", { first: true });
    assert.deepEqual(s.take(), ["loser", "other"], "first, though good ranks above it; claude's limit of one leaves good waiting");
    // Precedence is for one dispatch: retried plainly, it waits behind good again.
    s.markFailed("loser");
    s.retry("loser");
    assert.deepEqual(s.take(), ["good"]);
    s.markPassed("good");
    assert.deepEqual(s.take(), ["loser"]);
    s.markFailed("loser");
    s.retry("loser", { first: true });
    s.markBlocked("loser", "given up");
    assert.deepEqual(s.take(), [], "a blocked item's precedence is dropped");
    assert.equal(s.attempts("loser"), 3);
  });

  void it("retries an interrupted running item", () => {
    const s = new Scheduler(plan(item("a")), { concurrency: 1 });
    s.take();
    s.retry("a");
    assert.equal(s.status("a"), "pending");
    assert.deepEqual(s.take(), ["a"]);
  });

  void it("treats an item loaded as running as pending: no process of this run owns it", () => {
    const s = new Scheduler(plan(item("a", { status: "running", attempts: 1 })));
    assert.deepEqual(s.take(), ["a"]);
    assert.equal(s.attempts("a"), 2);
  });

  void it("rejects impossible transitions", () => {
    const s = new Scheduler(plan(item("a"), item("b")));
    s.markPassed("a");
    assert.throws(() => s.markFailed("a"), /cannot fail passed item a/);
    assert.throws(() => s.retry("b"), /cannot retry pending item b/);
    assert.throws(() => s.status("zzz"), (e: unknown) => isUserError(e) && e.reason === "not_found");
  });

  void it("snapshots the plan with current statuses, attempts and reasons", () => {
    const p = plan(item("a"), item("b", { dependencies: ["a"] }));
    const s = new Scheduler(p);
    s.take();
    s.markBlocked("a", "needs credentials");
    const snap = s.snapshot();
    assert.deepEqual(
      snap.items.map((i) => [i.id, i.status, i.attempts, i.blocked_reason]),
      [
        ["a", "blocked", 1, "needs credentials"],
        ["b", "blocked", 0, "blocked by a"],
      ],
    );
    assert.equal(p.items[0]?.status, "pending");
  });
});

void describe("Scheduler blocking", () => {
  const diamond = () =>
    plan(
      item("root"),
      item("left", { dependencies: ["root"] }),
      item("right", { dependencies: ["root"] }),
      item("join", { dependencies: ["left", "right"] }),
      item("free"),
    );

  void it("blocks every transitive dependent as 'blocked by' the item", () => {
    const s = new Scheduler(diamond());
    s.take();
    assert.deepEqual(s.markBlocked("root", "agent gave up"), ["left", "right", "join"]);
    assert.equal(s.blockedReason("root"), "agent gave up");
    assert.equal(s.blockedReason("join"), "blocked by root");
    assert.equal(s.status("free"), "running");
    s.markPassed("free");
    assert.equal(s.done(), true);
    assert.equal(s.remaining(), 0);
  });

  void it("does not block what has already passed, nor walk through it", () => {
    const s = new Scheduler(plan(item("a"), item("b", { dependencies: ["a"], status: "passed" }), item("c", { dependencies: ["b"] })));
    assert.deepEqual(s.markBlocked("a", "no"), []);
    assert.equal(s.status("c"), "pending");
    assert.deepEqual(s.ready(), ["c"]);
  });

  void it("removes a ready item from the ready set when it is blocked", () => {
    const s = new Scheduler(diamond());
    s.take(1);
    s.markPassed("root");
    assert.deepEqual(s.ready(), ["left", "right", "free"]);
    s.markBlocked("right", "flaky");
    assert.deepEqual(s.ready(), ["left", "free"]);
    assert.equal(s.counts().ready, 2);
    assert.deepEqual(s.take(), ["left", "free"]);
  });

  void it("propagates blocks already in the plan", () => {
    const s = new Scheduler(
      plan(item("vendor", { status: "blocked", blocked_reason: "waiting for keys" }), item("pay", { dependencies: ["vendor"] }), item("other")),
    );
    assert.equal(s.status("pay"), "blocked");
    assert.equal(s.blockedReason("pay"), "blocked by vendor");
    assert.equal(s.blockedReason("vendor"), "waiting for keys");
    assert.deepEqual(s.take(), ["other"]);
  });
});

void describe("Scheduler limits", () => {
  const many = () => plan(...["a", "b", "c", "d", "e", "f"].map((id, i) => item(id, { agent: i % 2 === 0 ? "claude" : "codex" })));

  void it("never runs more than the global limit", () => {
    const s = new Scheduler(many(), { concurrency: 2 });
    assert.deepEqual(s.take(), ["a", "b"]);
    assert.deepEqual(s.take(), []);
    s.markPassed("a");
    assert.deepEqual(s.take(5), ["c"]);
    s.markFailed("b");
    assert.deepEqual(s.take(), ["d"]);
  });

  void it("applies per-key limits, taking the best item of any key with room", () => {
    const s = new Scheduler(many(), { keyOf: (i) => i.agent ?? "", keyLimits: { claude: 1 } });
    // claude: a, c, e; codex: b, d, f (unlimited).
    assert.deepEqual(s.take(), ["a", "b", "d", "f"]);
    s.markPassed("a");
    assert.deepEqual(s.take(), ["c"]);
    assert.deepEqual(s.running(), ["b", "c", "d", "f"]);
  });

  void it("combines global and per-key limits", () => {
    const s = new Scheduler(many(), { concurrency: 3, keyOf: (i) => i.agent ?? "", keyLimits: { claude: 2, codex: 1 } });
    assert.deepEqual(s.take(), ["a", "b", "c"]);
    s.markPassed("b");
    assert.deepEqual(s.take(), ["d"]);
  });

  void it("leaves items a filter rejects ready, in order, for later", () => {
    const s = new Scheduler(many());
    assert.deepEqual(s.take(Infinity, (i) => i.agent === "codex"), ["b", "d", "f"]);
    assert.deepEqual(s.ready(), ["a", "c", "e"]);
    assert.deepEqual(s.take(2), ["a", "c"]);
  });
});

void describe("Scheduler on larger plans", () => {
  void it("refuses a plan that cannot be scheduled", () => {
    for (const bad of [
      plan(item("a", { dependencies: ["b"] }), item("b", { dependencies: ["a"] })),
      plan(item("a", { dependencies: ["ghost"] })),
      plan(item("a"), item("a")),
    ]) {
      assert.throws(() => new Scheduler(bad), (e: unknown) => isUserError(e) && e.reason === "bad_plan" && /viable plan validate/.test(e.fix ?? ""));
    }
  });

  void it("reuses the graph validation built, and drains a random DAG in dependency order", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const n = 2000;
    const items = Array.from({ length: n }, (_, i) =>
      item(`n${i}`, {
        priority: Math.floor(random() * 3),
        dependencies: i === 0 ? [] : Array.from({ length: Math.floor(random() * 4) }, () => `n${Math.floor(random() * i)}`),
      }),
    );
    const p = plan(...items);
    const validation = validatePlan(p);
    assert.equal(validation.ok, true);
    const s = new Scheduler(p, { graph: validation.graph, concurrency: 7 });
    const passed = new Set<string>();
    const deps = new Map(items.map((i) => [i.id, i.dependencies]));
    const running: string[] = [];
    while (!s.done()) {
      for (const id of s.take()) {
        assert.ok(deps.get(id)?.every((d) => passed.has(d)), `${id} started before its dependencies passed`);
        running.push(id);
      }
      assert.ok(running.length <= 7);
      // Finish a pseudo-random running item, so completions come out of order.
      const [done] = running.splice(Math.floor(random() * running.length), 1);
      assert.ok(done !== undefined);
      s.markPassed(done);
      passed.add(done);
    }
    assert.equal(passed.size, n);
  });
});
