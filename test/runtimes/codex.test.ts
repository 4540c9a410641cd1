// codex through Viable: the basic scenarios (see basic-scenarios.ts).

import { defineBasicScenarios } from "./basic-scenarios.ts";

defineBasicScenarios("codex", { retries500: true });
