// Which attempt `viable attach` opens: the one whose agent stopped for a person — not a shadow's,
// run beside it on the same item and maybe ended later.

import assert from "node:assert/strict";
import { test } from "node:test";
import { attemptToTakeOver } from "../../src/app/attach.ts";
import { ZERO_USAGE, type AttemptOutcome } from "../../src/domain/outcome.ts";
import type { AttemptRecord } from "../../src/store/records.ts";

function attempt(id: string, status: AttemptOutcome["status"] | null, startedAt: string): AttemptRecord {
  return {
    id, task_id: "run", item_id: "a", agent: "coder", runtime: "claude", attempt_no: 1, status: status === null ? "running" : "finished", pid: null,
    started_at: startedAt, ended_at: status === null ? null : startedAt, transcript_path: null,
    outcome: status === null ? null : { status, summary: status, exitCode: 0, signal: null, usage: ZERO_USAGE, retryable: false, durationMs: 1, outputTruncated: false, sessionId: `session-${id}` },
  };
}

void test("the attempt that asked, even when a shadow's ended after it", () => {
  const asked = attempt("primary", "needs_input", "2026-11-30T10:00:00Z");
  const shadow = attempt("shadow", "succeeded", "2026-11-30T10:00:05Z");
  assert.equal(attemptToTakeOver([asked, shadow])?.id, "primary");
});

void test("without one that asked: the newest that ended, else the newest", () => {
  assert.equal(attemptToTakeOver([attempt("a", "failed", "2026-11-30T10:00:00Z"), attempt("b", null, "2026-11-30T10:00:01Z")])?.id, "a");
  assert.equal(attemptToTakeOver([attempt("b", null, "2026-11-30T10:00:01Z")])?.id, "b");
  assert.equal(attemptToTakeOver([]), null);
});
