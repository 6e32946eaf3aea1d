import type { VNode } from "preact";
import { Layout } from "../render.js";

export interface AutoPostPageProps {
  title: string;
  intro?: string | undefined;
  action: string;
  fields: Record<string, string | null>;
  buttonLabel?: string | undefined;
  brand?: string | undefined;
}

/**
 * The SAML HTTP-POST binding: a form that carries a message to another site. /assets/auto-post.js submits it
 * (the CSP allows only our own script files); without JavaScript the person presses the button.
 */
export function AutoPostPage(p: AutoPostPageProps): VNode {
  return (
    <Layout title={p.title} brand={p.brand}>
      <h1>{p.title}</h1>
      {p.intro && <p>{p.intro}</p>}
      <form method="post" action={p.action} id="auto-post">
        {Object.entries(p.fields).map(([name, value]) => value !== null && <input type="hidden" name={name} value={value} />)}
        <button type="submit">{p.buttonLabel ?? "Continue"}</button>
      </form>
      <script src="/assets/auto-post.js" defer />
    </Layout>
  );
}
