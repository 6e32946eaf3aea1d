// Progressive enhancement only: every page works without this file.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const text = document.getElementById(button.dataset.copy)?.textContent ?? "";
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    button.textContent = "Select and copy";
  }
  setTimeout(() => (button.textContent = "Copy"), 2000);
});

// Every <time data-local> is rendered in UTC by the server; show it in the reader's own zone, same format.
const LOCAL_FORMATS = {
  datetime: new Intl.DateTimeFormat("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  }),
  date: new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric" }),
};
for (const time of document.querySelectorAll("time[data-local]")) {
  const date = new Date(time.getAttribute("datetime"));
  const format = LOCAL_FORMATS[time.dataset.local];
  if (format && !Number.isNaN(date.getTime())) time.textContent = format.format(date);
}
