// Test scaffolding per CLI: the scratch HOME's config files, the scrubbed environment pointing at
// the scripted model server, and the retry knobs that keep error scenarios fast. The argv and the
// environment a real run needs come from src/agents/protocols/<cli>.ts; only what exists because
// this is a test (a fake provider, a scratch home, no retries) is added here.

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AgentInvocationOptions } from "../../../src/agents/protocols/common.ts";
import { CLI_PROTOCOLS as AGENT_PROTOCOLS } from "../../../src/agents/cli-protocols.ts";
import type { ModelServer } from "../model-server/server.ts";
import type { AgentCliName, InstalledAgentCli } from "./install.ts";
import type { CliLaunch } from "./launch.ts";
import type { Scratch } from "./scratch.ts";

/** Models each CLI knows by name, so none of them warns about unknown model metadata. */
export const TEST_MODELS: Readonly<Record<AgentCliName, string>> = {
  claude: "claude-sonnet-4-5",
  // gpt-5.5 is one for which codex offers its apply_patch tool.
  codex: "gpt-5.5",
  gemini: "gemini-2.5-pro",
  opencode: "scripted/test-model",
  qwen: "qwen3-coder-plus",
};

export interface TestRunOptions extends Partial<AgentInvocationOptions> {
  prompt: string;
  /** How many times the CLI retries a failed model call; 0 keeps error scenarios quick. */
  retries?: number;
  /** Added last, overriding anything above. */
  extraEnv?: Record<string, string>;
}

type Prepare = (cli: InstalledAgentCli, scratch: Scratch, server: ModelServer, o: TestRunOptions) => Promise<CliLaunch>;

export const prepare: Readonly<Record<AgentCliName, Prepare>> = {
  claude: prepareClaude,
  codex: prepareCodex,
  gemini: prepareGemini,
  opencode: prepareOpencode,
  qwen: prepareQwen,
};

/** A scrubbed environment: nothing from the developer's shell leaks into the CLI. */
function baseEnv(scratch: Scratch): Record<string, string> {
  return {
    // Node 24 first: gemini and qwen are JS files run by whatever `node` is first in PATH.
    PATH: [path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(path.delimiter),
    HOME: scratch.home,
    TMPDIR: scratch.tmp,
    LANG: "C.UTF-8",
    NO_COLOR: "1",
  };
}

function invocation(cli: AgentCliName, o: TestRunOptions): AgentInvocationOptions {
  return { autoApprove: true, model: TEST_MODELS[cli], ...o };
}

/** The runtime's part, straight from the protocol table: argv, fixed env, parser. */
function runtimePart(cli: AgentCliName, scratch: Scratch, o: TestRunOptions): Pick<CliLaunch, "name" | "args" | "cwd" | "createParser"> & { env: Record<string, string> } {
  const protocol = AGENT_PROTOCOLS[cli];
  const inv = invocation(cli, o);
  return {
    name: cli,
    args: protocol.args(inv),
    cwd: scratch.repo,
    env: { ...baseEnv(scratch), ...protocol.env({ autoApprove: inv.autoApprove, isRoot: process.getuid?.() === 0 }) },
    createParser: () => protocol.parser({ cwd: scratch.repo }),
  };
}

async function prepareClaude(cli: InstalledAgentCli, scratch: Scratch, server: ModelServer, o: TestRunOptions): Promise<CliLaunch> {
  const base = runtimePart("claude", scratch, o);
  return {
    ...base,
    command: cli.bin,
    env: {
      ...base.env,
      ANTHROPIC_BASE_URL: server.url,
      ANTHROPIC_API_KEY: "sk-ant-scripted",
      CLAUDE_CODE_MAX_RETRIES: String(o.retries ?? 0),
      ...o.extraEnv,
    },
  };
}

async function prepareCodex(cli: InstalledAgentCli, scratch: Scratch, server: ModelServer, o: TestRunOptions): Promise<CliLaunch> {
  const codexHome = path.join(scratch.home, ".codex");
  await mkdir(codexHome, { recursive: true });
  const retries = o.retries ?? 0;
  await writeFile(
    path.join(codexHome, "config.toml"),
    [
      `model_provider = "scripted"`,
      `approval_policy = "never"`,
      `sandbox_mode = "danger-full-access"`,
      `check_for_update_on_startup = false`,
      ``,
      `[model_providers.scripted]`,
      `name = "scripted"`,
      `base_url = "${server.url}/v1"`,
      `env_key = "SCRIPTED_API_KEY"`,
      // "chat" is rejected by this codex version.
      `wire_api = "responses"`,
      `request_max_retries = ${retries}`,
      `stream_max_retries = ${retries}`,
      ``,
      `[analytics]`,
      `enabled = false`,
      ``,
      `[features]`,
      `plugins = false`,
      ``,
    ].join("\n"),
  );
  const base = runtimePart("codex", scratch, o);
  return { ...base, command: cli.bin, env: { ...base.env, CODEX_HOME: codexHome, SCRIPTED_API_KEY: "sk-scripted", ...o.extraEnv } };
}

async function prepareGemini(cli: InstalledAgentCli, scratch: Scratch, server: ModelServer, o: TestRunOptions): Promise<CliLaunch> {
  const dir = path.join(scratch.home, ".gemini");
  await mkdir(dir, { recursive: true });
  const settings = {
    security: { auth: { selectedType: "gemini-api-key" } },
    telemetry: { enabled: false },
    privacy: { usageStatisticsEnabled: false },
    // maxAttempts counts the first try: a 500 is otherwise retried 10 times with backoff.
    general: { disableAutoUpdate: true, disableUpdateNag: true, maxAttempts: (o.retries ?? 0) + 1 },
  };
  await writeFile(path.join(dir, "settings.json"), JSON.stringify(settings, null, 2));
  const base = runtimePart("gemini", scratch, o);
  return { ...base, command: cli.bin, env: { ...base.env, GEMINI_API_KEY: "scripted-key", GOOGLE_GEMINI_BASE_URL: server.url, ...o.extraEnv } };
}

async function prepareOpencode(cli: InstalledAgentCli, scratch: Scratch, server: ModelServer, o: TestRunOptions): Promise<CliLaunch> {
  const config = path.join(scratch.home, ".config");
  const dir = path.join(config, "opencode");
  await mkdir(path.join(dir, "node_modules"), { recursive: true });
  // OpenCode runs `npm install @opencode-ai/plugin` in every config directory whose lockfile does
  // not list it — registry traffic on each fresh HOME. A node_modules plus this lockfile satisfy it.
  await writeFile(path.join(dir, "package-lock.json"), JSON.stringify({ lockfileVersion: 3, packages: { "": { dependencies: { "@opencode-ai/plugin": "*" } } } }));
  const [providerId = "scripted", modelId = "test-model"] = TEST_MODELS.opencode.split("/");
  await writeFile(
    path.join(dir, "opencode.json"),
    JSON.stringify(
      {
        autoupdate: false,
        share: "disabled",
        provider: {
          [providerId]: {
            npm: "@ai-sdk/openai-compatible",
            name: "Scripted",
            options: { baseURL: `${server.url}/v1`, apiKey: "sk-scripted", maxRetries: o.retries ?? 0 },
            models: { [modelId]: { name: "Scripted test model" } },
          },
        },
        model: TEST_MODELS.opencode,
      },
      null,
      2,
    ),
  );
  const base = runtimePart("opencode", scratch, o);
  return {
    ...base,
    command: cli.bin,
    env: {
      ...base.env,
      XDG_CONFIG_HOME: config,
      XDG_DATA_HOME: path.join(scratch.home, ".local", "share"),
      XDG_CACHE_HOME: path.join(scratch.home, ".cache"),
      XDG_STATE_HOME: path.join(scratch.home, ".local", "state"),
      ...o.extraEnv,
    },
  };
}

async function prepareQwen(cli: InstalledAgentCli, scratch: Scratch, server: ModelServer, o: TestRunOptions): Promise<CliLaunch> {
  const dir = path.join(scratch.home, ".qwen");
  await mkdir(dir, { recursive: true });
  const settings = {
    security: { auth: { selectedType: "openai" } },
    telemetry: { enabled: false },
    privacy: { usageStatisticsEnabled: false },
    general: { enableAutoUpdate: false },
    model: { generationConfig: { maxRetries: o.retries ?? 0 } },
    // The background memory agent otherwise makes a second model call after every run.
    memory: { enableManagedAutoMemory: false, enableManagedAutoDream: false },
  };
  await writeFile(path.join(dir, "settings.json"), JSON.stringify(settings, null, 2));
  const base = runtimePart("qwen", scratch, o);
  return {
    ...base,
    command: cli.bin,
    env: {
      ...base.env,
      OPENAI_API_KEY: "sk-scripted",
      OPENAI_BASE_URL: `${server.url}/v1`,
      OPENAI_MODEL: TEST_MODELS.qwen,
      ...o.extraEnv,
    },
  };
}
