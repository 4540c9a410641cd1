// Qwen Code through Viable. Like OpenCode it retries 5xx on its own for about a minute, with no
// setting that reaches that loop, so no 5xx scenario runs through Viable.

import { defineBasicScenarios } from "./basic-scenarios.ts";

defineBasicScenarios("qwen", { retries500: false });
