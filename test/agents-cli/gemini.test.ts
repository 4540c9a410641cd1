// Gemini CLI end to end: the bundled JS CLI under Node 24 against the scripted Gemini API server.

import { defineCommonScenarios } from "../support/agent-clis/common-scenarios.ts";

// Gemini's 429 error text carries no retry hint ("Please wait and try again later").
defineCommonScenarios("gemini", { reportsRetryAfter: false });
