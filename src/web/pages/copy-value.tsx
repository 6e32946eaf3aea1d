import type { VNode } from "preact";

/** A value an admin copies into their IdP, with a copy button (the text stays selectable without JavaScript). */
export function CopyValue({ id, label, value, hint }: { id: string; label: string; value: string; hint?: string }): VNode {
  return (
    <div class="copy-field">
      <div class="copy-label" id={`${id}-label`}>
        {label}
      </div>
      <div class="copy-row">
        <code id={id} aria-labelledby={`${id}-label`}>
          {value}
        </code>
        <button type="button" class="secondary" data-copy={id} aria-label={`Copy ${label}`}>
          Copy
        </button>
      </div>
      {hint && <p class="small muted">{hint}</p>}
    </div>
  );
}
