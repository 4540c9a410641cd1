// An item's checks in its workspace, under the loop's limits: its verify commands and the
// project's, and best-of-N's scoring checks.

import { runVerification, type VerificationReport } from "../../audit/verification.ts";
import type { WorkContext } from "./loop-context.ts";

export async function verifyCommands(
  ctx: WorkContext, o: { commands: string[]; cwd: string; env: Record<string, string>; label: string; signal: AbortSignal },
): Promise<VerificationReport> {
  const report = await runVerification({
    commands: o.commands, cwd: o.cwd, signal: o.signal, env: o.env,
    timeoutMs: ctx.config.defaults.verify_timeout * 1000, killGraceMs: ctx.config.defaults.kill_grace_ms, maxOutputBytes: ctx.config.defaults.max_output_bytes,
    transcriptDir: ctx.paths.transcriptsDir, label: o.label, requireCommands: false, agentFailures: [], strategy: ctx.pipeline.processes,
  });
  if (o.signal.aborted) throw o.signal.reason;
  return report;
}
