// Codex end to end: the native binary against the scripted OpenAI Responses server.

import { defineCommonScenarios } from "../support/agent-clis/common-scenarios.ts";

// Codex waits out retry-after (a 5 s header made the run 5 s longer) but its JSON stream only
// says "exceeded retry limit, last status: 429 Too Many Requests": there is no hint to report.
defineCommonScenarios("codex", { reportsRetryAfter: false });
