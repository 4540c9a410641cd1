// Hash routing: #/ is the projects overview; #/p/<project>/<page>[/<id>][?query].
import { useEffect, useState } from "preact/hooks";

function parseHash(hash) {
  const raw = hash.replace(/^#\/?/, "");
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = Object.fromEntries(new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)));
  const segs = path.split("/").filter(Boolean).map(safeDecode);
  if (segs[0] !== "p" || !segs[1]) return { project: null, page: "projects", id: null, query };
  return { project: segs[1], page: segs[2] || "plan", id: segs[3] ?? null, query };
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The hash for a page of a project; query values that are null/undefined/"" are left out. */
export function link(project, page = "plan", id = null, query = {}) {
  if (!project) return "#/";
  let h = `#/p/${encodeURIComponent(project)}/${page}`;
  if (id !== null && id !== undefined) h += `/${encodeURIComponent(id)}`;
  const q = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  const qs = q.toString();
  return qs ? `${h}?${qs}` : h;
}

export function useRoute() {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export const navigate = (hash) => { location.hash = hash; };
