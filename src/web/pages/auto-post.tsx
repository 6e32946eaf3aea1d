import type { VNode } from "preact";
import { Layout } from "../render.js";

/** A form that carries a SAML message to another site; /assets/auto-post.js submits it, the button does without JS. */
export function AutoPostPage(p: { title: string; action: string; fields: Record<string, string>; brand?: string | undefined }): VNode {
  return (
    <Layout title={p.title} brand={p.brand}>
      <h1>{p.title}</h1>
      <form method="post" action={p.action} id="auto-post">
        {Object.entries(p.fields).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <button type="submit">Continue</button>
      </form>
      <script src="/assets/auto-post.js" defer />
    </Layout>
  );
}
