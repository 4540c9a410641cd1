// useResource: GET a path, keep the data, and refetch (debounced) when the stream says one of
// the resource's topics changed. Stale data stays on screen while refetching, so nothing flashes.
// A first load that fails is the view's to show (it has nothing else to show); a refetch that
// fails while the old data stays on screen is toasted, or nobody would know the data is stale.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, toastError } from "./api.js";
import { onTopics } from "./stream.js";

const DEBOUNCE_MS = 150;

/**
 * @param path     the GET path, or null to fetch nothing
 * @param topics   stream topics that make it stale (see stream.js topicsOf)
 * @param quiet    refetch errors the view shows itself, not toasted: true for all, or a list of reasons
 * @param poll     also refetch every `poll` ms (for what the stream does not cover)
 */
export function useResource(path, topics = [], { quiet = [], poll = 0 } = {}) {
  const [state, setState] = useState({ path, data: null, error: null });
  const shown = useRef(null); // the data on screen for `path`, if any

  // One request at a time per path: a refetch asked for meanwhile runs once the current one is
  // back, so slow answers are never all superseded by newer requests.
  const load = useMemo(() => {
    let inflight = false;
    let again = false;
    let dead = false;
    const run = async () => {
      if (!path || dead) return;
      if (inflight) { again = true; return; }
      inflight = true;
      try {
        const data = await api(path);
        if (!dead) { shown.current = data; setState({ path, data, error: null }); }
      } catch (error) {
        if (!dead) {
          setState({ path, data: shown.current, error });
          // A server that went away is the live indicator's to show, once, not every resource's.
          const toastIt = shown.current !== null && error.reason !== "network" && quiet !== true && !quiet.includes(error.reason);
          if (toastIt) toastError(error);
        }
      }
      inflight = false;
      if (again && !dead) { again = false; run(); }
    };
    run.stop = () => { dead = true; };
    return run;
  }, [path]);

  useEffect(() => {
    shown.current = null;
    load();
    return load.stop; // drop answers for a path we left
  }, [load]);

  const topicKey = topics.join("|");
  useEffect(() => {
    if (!path) return undefined;
    // Events within DEBOUNCE_MS make one refetch; a steady stream refreshes every DEBOUNCE_MS
    // instead of postponing forever.
    let timer = null;
    const off = onTopics(topics, () => {
      timer ??= setTimeout(() => { timer = null; load(); }, DEBOUNCE_MS);
    });
    const every = poll > 0 ? setInterval(load, poll) : null;
    return () => { off(); clearTimeout(timer); clearInterval(every); };
  }, [load, topicKey, poll]);

  const current = state.path === path;
  return { data: current ? state.data : null, error: current ? state.error : null, reload: load };
}
