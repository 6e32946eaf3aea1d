import type { VNode } from "preact";
import { Layout } from "../render.js";

export function HomePage(): VNode {
  return (
    <Layout title="Welcome">
      <h1>ClinicRooms</h1>
      <p>Secure waiting rooms and video visits for telehealth clinics.</p>
      <p>
        Clinic staff usually sign in at their clinic's own address, such as <code>yourclinic.</code> followed by this site's address.
      </p>
      <a class="button" href="/sign-in">
        Sign in with email and password
      </a>
    </Layout>
  );
}
