// Acceptance criteria written as one text (beads' `acceptance_criteria`, Task Master's
// `acceptanceCriteria` in many real files): one criterion per line, without list markers or
// checkboxes, blank lines dropped.

export function criteriaLines(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split("\n")
    .map((l) => l.replace(/^\s*(?:[-*+]|\d+[.)])?\s*(?:\[[ xX]\]\s*)?/, "").trim())
    .filter((l) => l !== "");
}
