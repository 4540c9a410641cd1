import { test } from "node:test";
import assert from "node:assert/strict";

import { StreamRedactor, redactor, secretValues } from "../../src/process/redact.ts";

void test("secret values are those of variables named like secrets, 6 characters or longer", () => {
  const env = { ANTHROPIC_API_KEY: "sk-ant-123456", GITHUB_TOKEN: "ghp_abcdef", DB_PASSWORD: "short", MY_SECRET: undefined, AWS_CREDENTIALS: "aws-credential-value", PATH: "/usr/bin:/bin", api_key: "lower-case-too" };
  assert.deepEqual(secretValues(env).sort(), ["aws-credential-value", "ghp_abcdef", "lower-case-too", "sk-ant-123456"]);
});

void test("a secret that contains a shorter one is masked whole", () => {
  assert.equal(redactor(["abcdef", "abcdefghij"])("x abcdefghij y abcdef"), "x *** y ***");
});

/** Every way of cutting `text` in three, pushed chunk by chunk, must come out the same. */
function everySplit(secrets: string[], text: string, expected: string): void {
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j++) {
      const r = new StreamRedactor(secrets);
      const out = r.push(text.slice(0, i)) + r.push(text.slice(i, j)) + r.push(text.slice(j)) + r.end();
      assert.equal(out, expected, `cut at ${i} and ${j}`);
    }
  }
}

void test("a secret split between chunks, anywhere, is masked whole", () => {
  everySplit(["sk-ant-0123456789"], "key=sk-ant-0123456789 and sk-ant-0123456789\n", "key=*** and ***\n");
});

void test("several secrets, overlapping or one inside another, split anywhere", () => {
  everySplit(["abcab", "token-value"], "xxabcabcab token-value token-valu", "xx***cab *** token-valu");
  everySplit(["abcdef", "abcdefghij"], "abcdefghij abcdef abcde", "*** *** abcde");
});

void test("only an end that could begin a secret is held back; without secrets nothing is", () => {
  const r = new StreamRedactor(["sk-ant-0123456789"]);
  assert.equal(r.push("plain text\n"), "plain text\n");
  assert.equal(r.push("then sk-an"), "then ");
  assert.equal(r.push("other"), "sk-another");
  assert.equal(r.push("x sk"), "x ");
  assert.equal(r.end(), "sk");
  const none = new StreamRedactor([]);
  assert.equal(none.push("sk-an"), "sk-an");
  assert.equal(none.end(), "");
});
