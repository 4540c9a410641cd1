#!/usr/bin/env node
// A scripted stand-in for a coding agent: it reads its role (VIABLE_AGENT) and the prompt (stdin,
// also VIABLE_PROMPT) and makes the change a real agent would, so the example runs offline.
import fs from "node:fs";

const role = process.env.VIABLE_AGENT ?? "generalist-coder";
const prompt = fs.readFileSync(0, "utf8");
const write = (file, text) => {
  fs.mkdirSync(file.split("/").slice(0, -1).join("/") || ".", { recursive: true });
  fs.writeFileSync(file, text);
  console.log(`wrote ${file}`);
};

switch (role) {
  case "tester":
    write("test/greet.test.js", `import { test } from "node:test";
import assert from "node:assert/strict";
import { greet } from "../src/greet.js";

test("greets by name", () => assert.equal(greet("Ada"), "Hello, Ada!"));
test("greets the world by default", () => assert.equal(greet(), "Hello, world!"));
`);
    console.log("tester: added tests for greet()");
    break;
  case "reviewer":
    if (!fs.existsSync("src/greet.js")) {
      console.error("reviewer: src/greet.js is missing");
      process.exit(1);
    }
    console.log("reviewer: greet() is small, named well and tested");
    break;
  case "documenter":
    fs.appendFileSync("README.md", "\n`greet(name)` returns a greeting.\n");
    console.log("documenter: README mentions greet()");
    break;
  default:
    write("src/greet.js", `// Added by the ${role} agent for: ${prompt.split("\n")[0]}
export function greet(name = "world") {
  return \`Hello, \${name}!\`;
}
`);
    console.log(`${role}: implemented greet() in src/greet.js`);
}
