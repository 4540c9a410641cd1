// Entry point: routes the hash to a page, keeps the live stream on the current project, and lays
// out header, page, footer and toasts.
import { render } from "preact";
import { useEffect } from "preact/hooks";
import { Footer, Header } from "./header.js";
import { useResource } from "./resource.js";
import { link, useRoute } from "./router.js";
import { followProject, seedSeq } from "./stream.js";
import { Empty, ErrorPanel, html, Toasts } from "./ui.js";
import { ApprovalsPage } from "./views-approvals.js";
import { CostPage } from "./views-cost.js";
import { EventsPage } from "./views-events.js";
import { ItemPage } from "./views-item.js";
import { MetricsPage } from "./views-metrics.js";
import { PlanPage } from "./views-plan.js";
import { ProjectsPage } from "./views-projects.js";
import { TaskPage, TasksPage } from "./views-tasks.js";

function App() {
  const route = useRoute();
  // The overview has no stream (the stream is per project), so it polls.
  const projects = useResource("/api/projects", ["project"], { poll: route.project ? 0 : 10000 });
  const list = projects.data?.projects ?? [];
  const current = route.project ? list.find((p) => p.id === route.project) ?? null : null;
  const settled = projects.data !== null || projects.error !== null;

  useEffect(() => {
    for (const p of list) seedSeq(p.id, p.last_seq);
  }, [projects.data]);

  // Connect once the projects are in, so the stream resumes after the last_seq they were read at.
  useEffect(() => {
    if (!route.project) followProject(null);
    else if (settled) followProject(route.project);
  }, [route.project, settled]);

  useEffect(() => {
    document.title = current ? `${current.name} · ${route.page} · Viable` : "Viable";
  }, [current?.name, route.page]);

  return html`
    <div class="app">
      <${Header} route=${route} projects=${projects} current=${current} />
      <main class="main">${page(route, projects, current)}</main>
      <${Footer} current=${current} />
      <${Toasts} />
    </div>`;
}

function page(route, projects, current) {
  const { project, id, query } = route;
  if (!project) return html`<${ProjectsPage} projects=${projects} />`;
  if (!current) {
    if (projects.data) return html`<${Empty} title=${`No project “${project}”`}>Pick one above, or go to <a href="#/">all projects</a>.</${Empty}>`;
    return projects.error ? html`<${ErrorPanel} error=${projects.error} />` : null;
  }
  const key = `${project}/${route.page}/${id ?? ""}`; // a fresh page (and its state) per route
  switch (route.page) {
    case "plan": return html`<${PlanPage} key=${key} project=${project} />`;
    case "items": return id ? html`<${ItemPage} key=${key} project=${project} itemId=${id} query=${query} />` : html`<${PlanPage} key=${key} project=${project} />`;
    case "tasks": return id ? html`<${TaskPage} key=${key} project=${project} taskId=${id} query=${query} />` : html`<${TasksPage} key=${key} project=${project} />`;
    case "metrics": return html`<${MetricsPage} key=${key} project=${project} />`;
    case "cost": return html`<${CostPage} key=${key} project=${project} />`;
    case "approvals": return html`<${ApprovalsPage} key=${key} project=${project} />`;
    case "events": return html`<${EventsPage} key=${key} project=${project} query=${query} />`;
    default: return html`<${Empty} title=${`No page “${route.page}”`}><a href=${link(project, "plan")}>Go to the plan</a></${Empty}>`;
  }
}

render(html`<${App} />`, document.getElementById("app"));
