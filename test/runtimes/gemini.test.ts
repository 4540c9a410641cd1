// gemini through Viable: the basic scenarios (see basic-scenarios.ts).

import { defineBasicScenarios } from "./basic-scenarios.ts";

defineBasicScenarios("gemini", { retries500: true });
