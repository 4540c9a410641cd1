// Qwen Code end to end: cli.js under Node 24 against the scripted OpenAI chat-completions server.

import { defineCommonScenarios } from "../support/agent-clis/common-scenarios.ts";

// Qwen retries a streamed turn 7 times from 1.5 s (model.generationConfig.maxRetries does not
// reach that loop): 429 and 5xx scenarios would take most of a minute each. They are covered by
// the parser tests on recorded transcripts instead.
defineCommonScenarios("qwen", { reportsRetryAfter: false, skipScenarios: ["500", "429"] });
