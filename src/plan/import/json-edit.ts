// Edits a JSON document as text: the values that change are replaced where they are written, and
// every other byte — indentation, inline arrays, key order, a missing final newline, CRLF, other
// Task Master tags — stays as it was. So an export shows in `git diff` as the fields that changed,
// and a file nothing changed in comes back byte for byte.
//
// The scan only descends into the containers on an edited path and skips everything else, so the
// cost is one pass over the text whatever the number of edits.

export type JsonPath = readonly (string | number)[];

export type JsonEdit =
  /** Sets a property (added at the end of its object when missing) or an array element (appended when the index is the array's length). */
  | { path: JsonPath; value: unknown }
  /** Removes an object property; nothing happens when it is not there. */
  | { path: JsonPath; remove: true };

interface EditNode {
  /** Made only for nodes with children: most nodes are leaves, and a plan may edit 100,000 of them. */
  children?: Map<string | number, EditNode>;
  edit?: JsonEdit;
}

interface Member {
  /** For arrays, the element's own start. */
  keyStart: number;
  valueStart: number;
  valueEnd: number;
  /** The comma after the value, or -1 for the last member. */
  commaAfter: number;
}

interface Splice {
  start: number;
  end: number;
  text: string;
}

/** Thrown for text that is not the JSON the edits were computed from: a bug, not a user error. */
export class JsonEditError extends Error {}

/**
 * Applies `edits` to `text`. `indent` is the document's indentation unit, for values added on
 * lines of their own (`detectJsonStyle` gives it).
 */
export function editJsonText(text: string, edits: readonly JsonEdit[], indent: string | number = 2): string {
  if (edits.length === 0) return text;
  const root: EditNode = {};
  for (const edit of edits) {
    if (edit.path.length === 0) throw new JsonEditError("an edit needs a path");
    let node = root;
    for (const seg of edit.path) {
      node.children ??= new Map();
      let next = node.children.get(seg);
      if (next === undefined) node.children.set(seg, (next = {}));
      node = next;
    }
    node.edit = edit;
  }
  const scanner = new Scanner(text, typeof indent === "number" ? " ".repeat(indent) : indent);
  scanner.container(scanner.ws(text.charCodeAt(0) === 0xfeff ? 1 : 0), root);
  const splices = scanner.splices.sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  for (const s of splices) {
    out += text.slice(at, s.start) + s.text;
    at = s.end;
  }
  return out + text.slice(at);
}

class Scanner {
  readonly splices: Splice[] = [];
  /** New lines are written with the document's own line ending. */
  readonly eol: string;
  readonly text: string;
  readonly unit: string;
  constructor(text: string, unit: string) {
    this.text = text;
    this.unit = unit;
    this.eol = text.includes("\r\n") ? "\r\n" : "\n";
  }

  ws(i: number): number {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return i;
    }
  }

  /** The index after the string starting at `i` (a quote). */
  skipString(i: number): number {
    const t = this.text;
    for (let j = i + 1; j < t.length; j++) {
      const c = t.charCodeAt(j);
      if (c === 0x5c) j++;
      else if (c === 0x22) return j + 1;
    }
    throw new JsonEditError("unterminated string");
  }

  /** The index after the value starting at `i`. */
  skipValue(i: number): number {
    const t = this.text;
    const c = t[i];
    if (c === '"') return this.skipString(i);
    if (c === "{" || c === "[") {
      let depth = 0;
      for (let j = i; j < t.length; j++) {
        const d = t[j];
        if (d === '"') j = this.skipString(j) - 1;
        else if (d === "{" || d === "[") depth++;
        else if (d === "}" || d === "]") {
          depth--;
          if (depth === 0) return j + 1;
        }
      }
      throw new JsonEditError("unterminated container");
    }
    let j = i;
    while (j < t.length && !",]} \t\r\n".includes(t[j] as string)) j++;
    if (j === i) throw new JsonEditError(`no value at ${i}`);
    return j;
  }

  /** Applies the node's edits inside the container starting at `i`. */
  container(i: number, node: EditNode): void {
    const c = this.text[i];
    if (c === "{") this.object(i, node);
    else if (c === "[") this.array(i, node);
    else throw new JsonEditError(`expected an object or array at ${i}`);
  }

  object(open: number, node: EditNode): void {
    const t = this.text;
    const members: Member[] = [];
    const removed: number[] = [];
    const seen = new Set<string>();
    let i = this.ws(open + 1);
    if (t[i] !== "}") {
      for (;;) {
        const keyStart = i;
        const keyEnd = this.skipString(i);
        const raw = t.slice(keyStart + 1, keyEnd - 1);
        const key = raw.includes("\\") ? (JSON.parse(t.slice(keyStart, keyEnd)) as string) : raw;
        i = this.ws(keyEnd);
        if (t[i] !== ":") throw new JsonEditError(`expected ':' at ${i}`);
        const valueStart = this.ws(i + 1);
        const valueEnd = this.skipValue(valueStart);
        const member = { keyStart, valueStart, valueEnd, commaAfter: -1 };
        members.push(member);
        const child = node.children?.get(key);
        if (child !== undefined) {
          seen.add(key);
          if (this.apply(child, valueStart, valueEnd)) removed.push(members.length - 1);
        }
        const after = this.afterMember(member, "}");
        i = after.at;
        if (after.closed) break;
      }
    }
    const close = i;
    if (removed.length > 0) this.remove(open, close, members, removed);
    const added: string[] = [];
    for (const [key, child] of node.children ?? []) {
      if (seen.has(key as string) || child.edit === undefined || "remove" in child.edit) continue;
      added.push(`${JSON.stringify(String(key))}${this.colon(members)}${this.value(child.edit.value, open, members)}`);
    }
    if (added.length > 0) this.insert(open, close, members, added, this.colon(members).endsWith(" ") ? " " : "");
  }

  /**
   * Past a member's value: at the next member (its comma recorded), or at the closing bracket
   * `close` (`closed`); anything else is not JSON.
   */
  afterMember(member: Member, close: "}" | "]"): { at: number; closed: boolean } {
    const i = this.ws(member.valueEnd);
    if (this.text[i] === ",") {
      member.commaAfter = i;
      return { at: this.ws(i + 1), closed: false };
    }
    if (this.text[i] === close) return { at: i, closed: true };
    throw new JsonEditError(`expected ',' or '${close}' at ${i}`);
  }

  array(open: number, node: EditNode): void {
    const t = this.text;
    const members: Member[] = [];
    const removed: number[] = [];
    let i = this.ws(open + 1);
    if (t[i] !== "]") {
      for (;;) {
        const valueStart = i;
        const valueEnd = this.skipValue(valueStart);
        const member = { keyStart: valueStart, valueStart, valueEnd, commaAfter: -1 };
        members.push(member);
        const child = node.children?.get(members.length - 1);
        if (child !== undefined && this.apply(child, valueStart, valueEnd)) removed.push(members.length - 1);
        const after = this.afterMember(member, "]");
        i = after.at;
        if (after.closed) break;
      }
    }
    const close = i;
    if (removed.length > 0) this.remove(open, close, members, removed);
    const added: string[] = [];
    for (let k = members.length; node.children?.has(k) === true; k++) {
      const edit = node.children?.get(k)?.edit;
      if (edit === undefined || "remove" in edit) break;
      added.push(this.value(edit.value, open, members));
    }
    if (added.length > 0) this.insert(open, close, members, added, this.unit === "" ? "" : " ");
  }

  /** Edits the value in place; returns true when the member is to be removed (done once the container is scanned). */
  apply(child: EditNode, valueStart: number, valueEnd: number): boolean {
    const edit = child.edit;
    if (edit === undefined) {
      this.container(valueStart, child);
      return false;
    }
    if ("remove" in edit) return true;
    this.splices.push({ start: valueStart, end: valueEnd, text: this.serialize(edit.value, this.indentOfLine(valueStart)) });
    return false;
  }

  /** Removes the members at `removed` (ascending) with the commas that join them to the rest. */
  remove(open: number, close: number, members: Member[], removed: number[]): void {
    const gone = new Set(removed);
    if (gone.size === members.length) {
      this.splices.push({ start: open + 1, end: close, text: "" });
      return;
    }
    for (let k = 0; k < members.length; ) {
      if (!gone.has(k)) {
        k++;
        continue;
      }
      let end = k;
      while (gone.has(end + 1)) end++;
      const before = members[k - 1];
      const after = members[end + 1];
      if (before !== undefined) this.splices.push({ start: before.valueEnd, end: (members[end] as Member).valueEnd, text: "" });
      else if (after !== undefined) this.splices.push({ start: (members[k] as Member).keyStart, end: after.keyStart, text: "" });
      k = end + 1;
    }
  }

  /** Inserts `added` members before the container's closing bracket, laid out like its others. */
  insert(open: number, close: number, members: Member[], added: string[], inlineSep: string): void {
    const last = members[members.length - 1];
    if (last === undefined) {
      const outer = this.indentOfLine(open);
      const multiline = this.text.slice(open, close).includes("\n");
      const body = multiline ? added.map((a) => `${this.eol}${outer}${this.unit}${a}`).join(",") + `${this.eol}${outer}` : added.join(`,${inlineSep}`);
      this.splices.push({ start: open + 1, end: close, text: body });
      return;
    }
    const first = members[0] as Member;
    const second = members[1];
    const gap = this.text.slice(open + 1, first.keyStart);
    // One member per line: a new line at the members' indentation. On one line: the spacing
    // the members already have between them.
    const sep = gap.includes("\n")
      ? this.eol + gap.slice(gap.lastIndexOf("\n") + 1)
      : second !== undefined
        ? this.text.slice(first.commaAfter + 1, second.keyStart)
        : inlineSep;
    this.splices.push({ start: last.valueEnd, end: last.valueEnd, text: added.map((a) => `,${sep}${a}`).join("") });
  }

  /** The key–value separator the object already uses (`": "` or `":"`). */
  colon(members: Member[]): string {
    const m = members[0];
    if (m === undefined) return ": ";
    const between = this.text.slice(this.skipString(m.keyStart), m.valueStart);
    return between.includes("\n") ? ": " : between;
  }

  /** A new member's value, indented like the container's members. */
  value(v: unknown, open: number, members: Member[]): string {
    const first = members[0];
    const indent = first !== undefined ? this.indentOfLine(first.keyStart) : this.indentOfLine(open) + this.unit;
    return this.serialize(v, indent);
  }

  serialize(v: unknown, lineIndent: string): string {
    const s = JSON.stringify(v, null, this.unit === "" ? undefined : this.unit);
    return s.includes("\n") ? s.replace(/\n/g, `${this.eol}${lineIndent}`) : s;
  }

  /** The whitespace that starts the line holding index `i` (empty when the line starts with text). */
  indentOfLine(i: number): string {
    const t = this.text;
    const start = t.lastIndexOf("\n", i - 1) + 1;
    let j = start;
    while (j < i && (t[j] === " " || t[j] === "\t")) j++;
    return t.slice(start, j);
  }
}
