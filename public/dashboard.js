// Progressive enhancement for the dashboard: the waiting room list is server-rendered; this refreshes it every
// few seconds from /waiting-room (the same markup), and only when someone arrived, left or changed state.
const list = document.getElementById("waiting-room");
if (list) {
  const POLL_MS = 3000;
  const poll = async () => {
    try {
      const response = await fetch("/waiting-room", { headers: { accept: "text/html" }, credentials: "same-origin" });
      if (response.ok) {
        const next = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("waiting-room");
        const current = document.getElementById("waiting-room");
        if (next && current && next.dataset.version !== current.dataset.version) current.replaceWith(document.adoptNode(next));
      }
    } catch {
      // Offline for a moment: try again at the next tick.
    }
    setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
}
