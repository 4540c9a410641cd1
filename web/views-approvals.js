// The S5 inbox: pending approvals to answer (with an optional comment), then the history.
import { useState } from "preact/hooks";
import { act, projectApi } from "./api.js";
import { link } from "./router.js";
import { useResource } from "./resource.js";
import { publish } from "./stream.js";
import { Ago, Badge, Empty, ErrorPanel, html, Loading } from "./ui.js";

export function ApprovalsPage({ project }) {
  const r = useResource(projectApi(project, "/approvals?status=all"), ["approvals"]);
  if (!r.data) return r.error ? html`<${ErrorPanel} error=${r.error} />` : html`<${Loading} />`;
  const all = [...r.data.approvals].sort((a, b) => b.requested_at.localeCompare(a.requested_at));
  const pending = all.filter((a) => a.status === "pending");
  const answered = all.filter((a) => a.status !== "pending");
  return html`
    <div class="page scroll-page">
      <div class="page-head"><div class="title-row"><h1>Approvals</h1><span class="dim">S5 decisions the cycle is waiting for</span></div></div>
      <section class="panel">
        <div class="panel-title">Pending <span class=${`count ${pending.length ? "hot" : ""}`}>${pending.length}</span></div>
        ${pending.length === 0
          ? html`<${Empty} title="Inbox zero">Nothing is waiting for a decision.</${Empty}>`
          : pending.map((a) => html`<${PendingApproval} key=${a.id} project=${project} a=${a} onDone=${r.reload} />`)}
      </section>
      <section class="panel">
        <div class="panel-title">History <span class="count">${answered.length}</span></div>
        ${answered.length === 0 ? html`<div class="dim pad">No answered approvals yet.</div>` : html`
          <table class="table">
            <thead><tr><th>Subject</th><th>Question</th><th>Decision</th><th>By</th><th>Comment</th><th>Answered</th></tr></thead>
            <tbody>${answered.map((a) => html`
              <tr key=${a.id} data-testid=${`answered-${a.id}`} data-status=${a.status}>
                <td>${a.subject}<${Origin} project=${project} a=${a} /></td>
                <td class="wide">${a.question}</td>
                <td><${Badge} status=${a.status} /></td>
                <td class="dim">${a.answered_by ?? "—"}</td>
                <td class="dim">${a.comment ?? ""}</td>
                <td class="dim nowrap">${a.answered_at ? html`<${Ago} at=${a.answered_at} />` : "—"}</td>
              </tr>`)}</tbody>
          </table>`}
      </section>
    </div>`;
}

const Origin = ({ project, a }) => html`
  <div class="small dim">
    ${a.task_id && html`task <a class="mono" href=${link(project, "tasks", a.task_id)}>${a.task_id}</a> `}
    ${a.item_id && html`item <a class="mono" href=${link(project, "items", a.item_id)}>${a.item_id}</a>`}
  </div>`;

function PendingApproval({ project, a, onDone }) {
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const decide = async (decision) => {
    setBusy(true);
    const body = comment.trim() ? { decision, comment: comment.trim() } : { decision };
    const done = await act(projectApi(project, `/approvals/${encodeURIComponent(a.id)}`), { body, ok: `${decision === "approve" ? "Approved" : "Rejected"}: ${a.subject}` });
    setBusy(false);
    if (done) { publish(["approvals", "project"]); onDone(); }
  };
  // An agent's question (loop.on_needs_input: wait): approving retries it with the comment as the answer.
  const question = a.subject === "needs_input";
  // A planning step's review (`viable plan new`): rejecting with a comment redoes it, without one stops.
  const planning = a.subject === "planning";
  return html`
    <div class="approval" data-testid=${`approval-${a.id}`} data-status=${a.status}>
      <div class="approval-text">
        <div class="approval-subject">${a.subject} <span class="dim small">requested <${Ago} at=${a.requested_at} /></span></div>
        <div class="approval-question">${a.question}</div>
        <${Origin} project=${project} a=${a} />
      </div>
      <div class="approval-actions">
        ${question && html`<div class="small dim">or take it over: <code>viable attach ${a.item_id}</code></div>`}
        <input class="input" placeholder=${question ? "Your answer for the agent" : planning ? "What to redo (empty: stop here)" : "Comment (optional)"} value=${comment} onInput=${(e) => setComment(e.currentTarget.value)} data-testid=${`comment-${a.id}`} />
        <button class="btn primary" disabled=${busy} onClick=${() => decide("approve")} data-testid=${`approve-${a.id}`}>${question ? "Answer & retry" : planning ? "Continue" : "Approve"}</button>
        <button class="btn danger-outline" disabled=${busy} onClick=${() => decide("reject")} data-testid=${`reject-${a.id}`}>${question ? "Block" : planning ? (comment.trim() ? "Redo" : "Stop here") : "Reject"}</button>
      </div>
    </div>`;
}
