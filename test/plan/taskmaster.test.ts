import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isUserError } from "../../src/domain/errors.ts";
import { exportTaskMaster, importTaskMaster } from "../../src/plan/import/taskmaster.ts";
import type { PlanItem } from "../../src/plan/plan.ts";
import { fixture } from "./fixture.ts";

const LEGACY = "tasks-legacy.json";
const TAGGED = "tasks-tagged.json";

const byId = (items: PlanItem[]) => new Map(items.map((i) => [i.id, i]));

void describe("Task Master import, legacy {tasks: [...]}", () => {
  const { plan, problems, locate } = importTaskMaster(fixture(LEGACY), LEGACY);
  const items = byId(plan.items);

  void it("makes an item of every task and subtask, subtasks as <parent>.<sub>", () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(plan.items.map((i) => i.id), ["1", "2", "2.1", "2.2", "3", "3.1", "4"]);
    assert.equal(plan.source.format, "taskmaster");
  });

  void it("gives a subtask its parent's dependencies plus its own, siblings by number", () => {
    assert.deepEqual(items.get("2.1")?.dependencies, ["1"]);
    assert.deepEqual(items.get("2.2")?.dependencies, ["1", "2.1"]);
    // "2.2" is another task's subtask, written in full.
    assert.deepEqual(items.get("3.1")?.dependencies, ["2", "2.2"]);
  });

  void it("makes the parent wait for its subtasks, so depending on it means on all of it", () => {
    assert.deepEqual(items.get("2")?.dependencies, ["1", "2.1", "2.2"]);
    assert.equal(items.get("2.2")?.parent, "2");
    assert.equal(items.get("2")?.parent, undefined);
  });

  void it("locates every dependency where it is written", () => {
    const at = (id: string) => plan.items.findIndex((i) => i.id === id);
    assert.equal(locate.item(at("2.2")), "tasks[1].subtasks[1]");
    assert.equal(locate.dependency(at("2.2"), 0), "tasks[1].dependencies[0]");
    assert.equal(locate.dependency(at("2.2"), 1), "tasks[1].subtasks[1].dependencies[0]");
    assert.equal(locate.dependency(at("2"), 1), "tasks[1].subtasks[0]");
  });

  void it("maps statuses: done passes, deferred and cancelled block, the rest is to do", () => {
    assert.equal(items.get("1")?.status, "passed");
    assert.equal(items.get("2.1")?.status, "passed");
    assert.equal(items.get("3")?.status, "pending");
    assert.equal(items.get("4")?.status, "blocked");
    assert.equal(items.get("4")?.blocked_reason, "deferred in Task Master");
  });

  void it("ranks priorities (critical first) and carries details, test strategy and complexity", () => {
    assert.deepEqual(
      ["3", "1", "2", "4"].map((id) => items.get(id)?.priority),
      [0, 1, 2, 3],
    );
    // Subtasks without a priority take their parent's.
    assert.equal(items.get("3.1")?.priority, 0);
    assert.equal(items.get("2")?.description, "Design the tasks and users tables.\n\nPostgres, migrations with node-pg-migrate.");
    assert.deepEqual(items.get("2")?.tests, ["Migrations apply and roll back cleanly"]);
    assert.deepEqual(items.get("3")?.tests, []);
    assert.equal(items.get("4")?.complexity, "low");
  });
});

void describe("Task Master import, tagged {master: {tasks: [...]}}", () => {
  void it("reads the master tag by default, paths under it", () => {
    const { plan, locate } = importTaskMaster(fixture(TAGGED), TAGGED);
    assert.deepEqual(plan.items.map((i) => i.id), ["1", "2"]);
    assert.equal(locate.dependency(1, 0), "master.tasks[1].dependencies[0]");
  });

  void it("reads another tag when asked", () => {
    const { plan, locate } = importTaskMaster(fixture(TAGGED), TAGGED, { tag: "feature-billing" });
    assert.deepEqual(plan.items.map((i) => i.name), ["Invoices"]);
    assert.equal(locate.item(0), '["feature-billing"].tasks[0]');
  });

  void it("refuses an unknown tag, listing the tags there are", () => {
    assert.throws(
      () => importTaskMaster(fixture(TAGGED), TAGGED, { tag: "nope" }),
      (e: unknown) => isUserError(e) && e.reason === "bad_plan" && /no tag "nope"; tags in this file: master, feature-billing/.test(e.message),
    );
  });

  void it("reports schema problems at their path inside the tag", () => {
    const text = JSON.stringify({ master: { tasks: [{ id: 1, title: "A", status: 5, subtasks: [{ id: 1 }] }] } });
    const { problems } = importTaskMaster(text, TAGGED);
    assert.deepEqual(
      problems.map((p) => p.path),
      ["master.tasks[0].status"],
    );
    const sub = importTaskMaster(JSON.stringify({ tasks: [{ id: 1, title: "A", subtasks: [{ id: 1 }] }] }), LEGACY);
    assert.deepEqual(sub.problems.map((p) => p.path), ["tasks[0].subtasks[0].title"]);
    assert.deepEqual(sub.skippedIds, ["1.1"]);
  });
});

void describe("Task Master export", () => {
  void it("writes statuses back into tasks and subtasks, keeping everything else", () => {
    const original = fixture(LEGACY);
    const { plan } = importTaskMaster(original, LEGACY);
    const set = (id: string, status: PlanItem["status"]) => {
      const item = plan.items.find((i) => i.id === id);
      assert.ok(item);
      item.status = status;
    };
    set("2.2", "passed");
    set("3", "running");
    set("3.1", "failed");

    const out = JSON.parse(exportTaskMaster(plan, original)) as {
      meta: unknown;
      tasks: { id: number; status: string; subtasks?: { id: number; status: string; assignee?: string }[] }[];
    };
    assert.deepEqual(out.meta, { projectName: "Taskboard", version: "1.0.0", createdAt: "2025-03-01T10:00:00.000Z" });
    assert.equal(out.tasks[1]?.subtasks?.[1]?.status, "done");
    assert.equal(out.tasks[1]?.subtasks?.[1]?.assignee, "dana");
    assert.equal(out.tasks[2]?.status, "in-progress");
    // Failed is not done.
    assert.equal(out.tasks[2]?.subtasks?.[0]?.status, "pending");
    // Deferred stays deferred: it already means blocked.
    assert.equal(out.tasks[3]?.status, "deferred");
  });

  void it("changes nothing when nothing changed, and leaves other tags alone", () => {
    const original = fixture(TAGGED);
    const { plan } = importTaskMaster(original, TAGGED);
    assert.equal(exportTaskMaster(plan, original), original);
    const item = plan.items[1];
    assert.ok(item);
    item.status = "passed";
    const out = JSON.parse(exportTaskMaster(plan, original)) as Record<string, { tasks: { status: string; metadata?: unknown }[] }>;
    assert.equal(out.master?.tasks[1]?.status, "done");
    assert.deepEqual(out.master?.tasks[1]?.metadata, { jira: "AUTH-12" });
    assert.equal(out["feature-billing"]?.tasks[0]?.status, "pending");
  });
});
