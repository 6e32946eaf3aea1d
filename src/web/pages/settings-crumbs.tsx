import type { VNode } from "preact";

/** The way back from a settings page: Dashboard → Clinic settings → this page, every step a link but the last. */
export function SettingsCrumbs({ current }: { current: string }): VNode {
  return (
    <nav class="crumbs" aria-label="Breadcrumb">
      <a href="/dashboard">Dashboard</a> → <a href="/settings">Clinic settings</a> → <span aria-current="page">{current}</span>
    </nav>
  );
}
