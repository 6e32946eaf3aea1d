// Progressive enhancement for /welcome: the form works without this file; this only answers sooner.
const input = document.getElementById("room-name");
const status = document.getElementById("room-name-status");
const preview = document.getElementById("room-url-preview");

if (input && status && preview) {
  const base = preview.dataset.base ?? "";
  // Wait for a pause in typing: one request per word, not per key, well under the endpoint's rate limit.
  const DEBOUNCE_MS = 400;
  // The shape src/rooms/room.ts accepts: 3–40 lower-case letters, digits and hyphens, no hyphen at either end.
  const ROOM_NAME = /^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$/;
  let timer;
  let latest = 0;

  const show = (text, kind) => {
    status.textContent = text;
    status.className = kind ? `alert alert-${kind}` : "small";
    if (kind === "error") input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  // Same wording as the server's re-rendered page (roomNameSentence in src/web/pages/welcome.tsx).
  const sentence = (typed, reason) => (typed ? `“${typed}” ${reason}.` : `The room name ${reason}.`);

  const check = async (typed) => {
    const mine = ++latest;
    if (!typed) return show("", null);
    try {
      const response = await fetch(`/api/v1/rooms/availability?name=${encodeURIComponent(typed)}`, {
        headers: { accept: "application/json" },
        credentials: "same-origin",
      });
      // An answer to an older keystroke must not overwrite the answer for what is in the field now.
      if (mine !== latest) return;
      if (!response.ok) return show("", null); // rate-limited or signed out: the form still checks on submit
      const answer = await response.json();
      if (mine !== latest) return;
      if (answer.available) show(`“${answer.name}” is available.`, "success");
      else show(sentence(typed, answer.reason), "error");
    } catch {
      if (mine === latest) show("", null);
    }
  };

  input.addEventListener("input", () => {
    const typed = input.value.trim();
    // Only a name that could be a room is shown as a link; anything else would be a URL that never works.
    preview.textContent = ROOM_NAME.test(typed.toLowerCase()) ? `${base}/${typed.toLowerCase()}` : `${base}/your-name`;
    clearTimeout(timer);
    latest++; // any answer still on its way is now stale
    timer = setTimeout(check, DEBOUNCE_MS, typed);
  });
}
