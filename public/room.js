// Progressive enhancement for a waiting room: the page works without this file (reload to see the state);
// this only notices sooner. It reads the patient's own status and reloads when it changes.
const state = document.getElementById("visit-state");
if (state && ["waiting", "admitted"].includes(state.dataset.status)) {
  const POLL_MS = 3000;
  const poll = async () => {
    try {
      const response = await fetch(state.dataset.statusUrl, { headers: { accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const answer = await response.json();
        if (answer.status !== state.dataset.status) return location.reload();
      }
    } catch {
      // Offline for a moment: try again at the next tick.
    }
    setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
}
