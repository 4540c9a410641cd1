// The scripted model server on its own: what each dialect streams, what it answers without a
// script step, and that it fails loudly on anything it was not told to expect.

import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { startModelServer, type ModelServer } from "../support/model-server/server.ts";
import { createStreamHold, httpError, shell, text, writeFile, type Step } from "../support/model-server/script.ts";

async function serve(t: TestContext, script: Step[]): Promise<ModelServer> {
  const server = await startModelServer({ script, cwd: "/work/repo" });
  t.after(() => server.close());
  return server;
}

async function post(server: ModelServer, path: string, body: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** The JSON payloads of an SSE body, without the [DONE] marker. */
async function sseData(res: Response): Promise<Array<Record<string, unknown>>> {
  const body = await res.text();
  return body
    .split("\n")
    .filter((l) => l.startsWith("data: ") && l !== "data: [DONE]")
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
}

void test("anthropic: text and a Write tool_use, with an absolute path and stop_reason tool_use", async (t) => {
  const server = await serve(t, [writeFile("a.txt", "A\n", "Writing.")]);
  const res = await post(server, "/v1/messages?beta=true", { model: "m", stream: true, tools: [{ name: "Bash" }, { name: "Write" }], messages: [] });
  assert.equal(res.status, 200);
  const events = await sseData(res);
  assert.deepEqual(
    events.map((e) => e["type"]),
    ["message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
  );
  assert.deepEqual(events[5]?.["content_block"], { type: "tool_use", id: "toolu_0002", name: "Write", input: {} });
  assert.deepEqual(events[6]?.["delta"], { type: "input_json_delta", partial_json: JSON.stringify({ file_path: "/work/repo/a.txt", content: "A\n" }) });
  assert.deepEqual(events[8]?.["delta"], { stop_reason: "tool_use", stop_sequence: null });
  server.assertScriptConsumed();
});

void test("side requests are answered without consuming steps", async (t) => {
  const server = await serve(t, [text("the only turn")]);
  assert.equal((await fetch(server.url, { method: "HEAD" })).status, 404);
  assert.equal((await post(server, "/v1/messages/count_tokens", { model: "m", messages: [] })).status, 200);
  const title = await post(server, "/v1/messages", { model: "haiku", stream: false, messages: [] });
  assert.equal(((await title.json()) as { type: string }).type, "message");
  const ocTitle = await post(server, "/v1/chat/completions", { model: "m", stream: true, messages: [{ role: "system", content: "You are a title generator. ..." }] });
  const titleText = (await sseData(ocTitle))
    .flatMap((e) => (e["choices"] as Array<{ delta?: { content?: string } }>).map((c) => c.delta?.content ?? ""))
    .join("");
  assert.equal(titleText, "Scripted session");
  assert.equal((await post(server, "/v1beta/models/gemini-2.5-pro:countTokens", {})).status, 200);
  assert.equal(server.remainingSteps(), 1);
  assert.deepEqual(
    server.requests.map((r) => r.purpose),
    ["probe", "count_tokens", "non-streaming message", "title", "countTokens"],
  );
  await (await post(server, "/v1/messages", { model: "m", stream: true, messages: [] })).text();
  server.assertScriptConsumed();
});

void test("an unexpected request and an exhausted script fail loudly: HTTP 500 and a recorded failure", async (t) => {
  const server = await serve(t, [text("one")]);
  const stray = await fetch(`${server.url}/v2/whatever`);
  assert.equal(stray.status, 500);
  assert.match(await stray.text(), /unexpected request/);
  await (await post(server, "/v1/responses", { model: "m", tools: [] })).text();
  const extra = await post(server, "/v1/responses", { model: "m", tools: [] });
  assert.equal(extra.status, 500);
  assert.match(JSON.stringify(await extra.json()), /script has run out/);
  assert.equal(server.failures.length, 2);
  assert.match(server.failures[0] ?? "", /GET \/v2\/whatever: unexpected request/);
  assert.throws(() => server.assertScriptConsumed(), /script has run out/);
});

void test("an unused step is reported too", async (t) => {
  const server = await serve(t, [text("never asked for")]);
  assert.throws(() => server.assertScriptConsumed(), /1 script step\(s\) were never requested/);
});

void test("error steps carry status, headers and the provider's error shape, `times` over", async (t) => {
  const server = await serve(t, [httpError(429, { message: "slow", headers: { "retry-after": "3" }, times: 2 }), text("ok")]);
  for (let i = 0; i < 2; i++) {
    const res = await post(server, "/v1beta/models/g:streamGenerateContent?alt=sse", { contents: [] });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "3");
    assert.deepEqual(await res.json(), { error: { code: 429, message: "slow", status: "RESOURCE_EXHAUSTED" } });
  }
  assert.equal((await post(server, "/v1beta/models/g:streamGenerateContent?alt=sse", { contents: [] })).status, 200);
  server.assertScriptConsumed();
  assert.deepEqual(server.turns().map((r) => r.step), [0, 0, 1]);
});

void test("neutral tool calls map onto each CLI's own tools", async (t) => {
  const server = await serve(t, [writeFile("f.txt", "x"), shell("ls"), writeFile("g.txt", "y"), writeFile("h.txt", "z"), shell("pwd")]);
  // codex: apply_patch is a freeform custom tool.
  const codex = await sseData(await post(server, "/v1/responses", { model: "gpt-5.5", tools: [{ type: "function", name: "exec_command" }, { type: "custom", name: "apply_patch" }] }));
  const patch = codex.find((e) => e["type"] === "response.output_item.done")?.["item"];
  assert.deepEqual(patch, {
    type: "custom_tool_call",
    id: "ctc_0003",
    call_id: "call_0002",
    name: "apply_patch",
    input: "*** Begin Patch\n*** Add File: /work/repo/f.txt\n+x\n*** End Patch\n",
    status: "completed",
  });
  const exec = await sseData(await post(server, "/v1/responses", { model: "gpt-5.5", tools: [{ type: "function", name: "exec_command" }] }));
  assert.equal((exec.find((e) => e["type"] === "response.output_item.done")?.["item"] as { arguments: string }).arguments, JSON.stringify({ cmd: "ls" }));
  // gemini: a functionCall part.
  const gemini = await sseData(await post(server, "/v1beta/models/g:streamGenerateContent?alt=sse", { tools: [{ functionDeclarations: [{ name: "write_file" }, { name: "run_shell_command" }] }] }));
  assert.match(JSON.stringify(gemini), /"functionCall":\{"name":"write_file","args":\{"file_path":"\/work\/repo\/g.txt","content":"y"\}\}/);
  // opencode's write takes filePath; qwen's write_file takes file_path.
  const opencode = await sseData(await post(server, "/v1/chat/completions", { stream: true, tools: [{ type: "function", function: { name: "write" } }] }));
  assert.match(JSON.stringify(opencode), /\\"filePath\\":\\"\/work\/repo\/h.txt\\"/);
  const qwen = await sseData(await post(server, "/v1/chat/completions", { stream: true, tools: [{ type: "function", function: { name: "run_shell_command" } }] }));
  assert.match(JSON.stringify(qwen), /"name":"run_shell_command"/);
  assert.deepEqual(qwen.at(-1)?.["choices"], [], "the usage chunk comes last, before [DONE]");
  assert.ok(qwen.at(-1)?.["usage"]);
  server.assertScriptConsumed();
});

void test("a tool the CLI did not offer is a loud failure, not a silent text reply", async (t) => {
  const server = await serve(t, [writeFile("f.txt", "x")]);
  const res = await post(server, "/v1/chat/completions", { stream: true, tools: [{ type: "function", function: { name: "read_file" } }] });
  assert.equal(res.status, 500);
  assert.match(server.failures[0] ?? "", /no tool for write_file among the tools the CLI offered: read_file/);
});

void test("a held stream pauses mid-answer until the test releases it", async (t) => {
  const hold = createStreamHold();
  const server = await serve(t, [{ reply: { text: "first half, second half", hold } }]);
  const res = await post(server, "/v1/messages", { model: "m", stream: true, messages: [] });
  await hold.reached;
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  assert.ok(reader);
  let received = "";
  while (!received.includes("first half")) {
    const chunk = await reader.read();
    assert.equal(chunk.done, false, "the stream must stay open while held");
    received += new TextDecoder().decode(chunk.value);
  }
  assert.doesNotMatch(received, /message_stop/);
  hold.release();
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) break;
    received += new TextDecoder().decode(chunk.value);
  }
  assert.match(received, /second half/);
  assert.match(received, /message_stop/);
});

void test("a slow stream spaces its frames by chunkDelayMs", async (t) => {
  const server = await serve(t, [{ reply: { text: "slow answer", chunkDelayMs: 40 } }]);
  const started = performance.now();
  const events = await sseData(await post(server, "/v1/chat/completions", { stream: true, messages: [] }));
  const elapsed = performance.now() - started;
  // Five frames (two text halves, finish, usage, [DONE] not counted): four gaps at least.
  assert.equal(events.length, 4);
  assert.ok(elapsed >= 4 * 40 * 0.9, `took ${elapsed} ms`);
});
