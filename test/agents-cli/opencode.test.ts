// OpenCode end to end: the native binary against the scripted OpenAI chat-completions server.

import { defineCommonScenarios } from "../support/agent-clis/common-scenarios.ts";

// OpenCode retries 429 and 5xx inside the session 5 times (no setting turns that down; provider
// maxRetries does not), printing nothing meanwhile. It honours retry-after, so the 429 scenario
// with "retry-after: 1" takes ~15 s; a 500 backs off from 2 s doubling (~75 s) and is covered by
// the parser test on its recorded transcript instead.
defineCommonScenarios("opencode", { reportsRetryAfter: true, rateLimitRequests: 6, skipScenarios: ["500"] });
