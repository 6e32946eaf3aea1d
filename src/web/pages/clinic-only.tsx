import type { VNode } from "preact";
import { Layout } from "../render.js";

export interface ClinicOnlyPageProps {
  /** What the person asked for, in words: "Single sign-on settings". */
  what: string;
  /** The same page on the person's own clinic host, when we know their clinic. */
  clinic: { name: string; url: string; address: string } | null;
  /** An example clinic address for people who are not signed in: "yourclinic.clinics.example.com". */
  exampleHost: string;
  signedInAs?: { name: string; csrfToken: string } | undefined;
}

/** A main-site address that exists only on a clinic's own host: says so and points there, instead of a 404. */
export function ClinicOnlyPage(p: ClinicOnlyPageProps): VNode {
  return (
    <Layout title={`${p.what} is on your clinic's address`} signedInAs={p.signedInAs}>
      <h1>{p.what} is on your clinic's own address</h1>
      {p.clinic ? (
        <>
          <p>
            Each clinic has its own address. For {p.clinic.name} this page is at <code>{p.clinic.address}</code>.
          </p>
          <a class="button" href={p.clinic.url}>
            Open it at {p.clinic.name}
          </a>
          <p class="small muted">Your clinic's address has its own sign-in, which may be your clinic's single sign-on.</p>
        </>
      ) : (
        <>
          <p>
            Each clinic has its own address, such as <code>{p.exampleHost}</code>, where its staff sign in and find this page. Open your
            clinic's address, or sign in here with your email and password and we will take you on.
          </p>
          <a class="button" href="/sign-in">
            Sign in to find your clinic
          </a>
        </>
      )}
    </Layout>
  );
}
