import { test } from "node:test";
import assert from "node:assert/strict";

import { scrubbedEnv } from "../../src/process/environment.ts";

const USER_SHELL_ENV: NodeJS.ProcessEnv = {
  PATH: "/usr/bin:/bin",
  HOME: "/home/ada",
  USER: "ada",
  LOGNAME: "ada",
  SHELL: "/bin/zsh",
  LANG: "en_GB.UTF-8",
  LC_ALL: "en_GB.UTF-8",
  LC_TIME: "C",
  TERM: "xterm-256color",
  TZ: "Europe/London",
  TMPDIR: "/tmp/ada",
  NODE_OPTIONS: "--require /home/ada/hook.js",
  AWS_SECRET_ACCESS_KEY: "aws-secret",
  GITHUB_TOKEN: "ghp_secret",
  ANTHROPIC_API_KEY: "sk-ant-secret",
  ANTHROPIC_BASE_URL: "https://proxy.example",
  OPENAI_API_KEY: "sk-openai",
  GEMINI_CLI_NO_RELAUNCH: "true",
  UNSET_VALUE: undefined,
};

void test("keeps what programs need to run and drops everything else, credentials and NODE_OPTIONS included", () => {
  assert.deepEqual(scrubbedEnv(USER_SHELL_ENV), {
    PATH: "/usr/bin:/bin",
    HOME: "/home/ada",
    USER: "ada",
    LOGNAME: "ada",
    SHELL: "/bin/zsh",
    LANG: "en_GB.UTF-8",
    LC_ALL: "en_GB.UTF-8",
    LC_TIME: "C",
    TERM: "xterm-256color",
    TZ: "Europe/London",
    TMPDIR: "/tmp/ada",
  });
});

void test("a runtime's extra names and patterns are let through, and only those", () => {
  const env = scrubbedEnv(USER_SHELL_ENV, [/^ANTHROPIC_/, "GEMINI_CLI_NO_RELAUNCH"]);
  assert.equal(env["ANTHROPIC_API_KEY"], "sk-ant-secret");
  assert.equal(env["ANTHROPIC_BASE_URL"], "https://proxy.example");
  assert.equal(env["GEMINI_CLI_NO_RELAUNCH"], "true");
  assert.equal(env["OPENAI_API_KEY"], undefined);
  assert.equal(env["GITHUB_TOKEN"], undefined);
  assert.equal(env["NODE_OPTIONS"], undefined);
});

void test("names match whole, not by prefix", () => {
  const env = scrubbedEnv({ PATH: "/bin", PATHOLOGICAL: "x", XPATH: "y", HOME_DIR: "z" });
  assert.deepEqual(env, { PATH: "/bin" });
});

void test("unset variables are left out rather than passed as the string 'undefined'", () => {
  assert.equal("UNSET_VALUE" in scrubbedEnv(USER_SHELL_ENV, ["UNSET_VALUE"]), false);
});
