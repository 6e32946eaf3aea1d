import type { VNode } from "preact";
import { Layout } from "../render.js";

export function RoomPage({ providerName, clinicName }: { providerName: string; clinicName: string }): VNode {
  return (
    <Layout title={`${providerName}'s waiting room`} brand={clinicName}>
      <h1>{providerName}'s waiting room</h1>
      <p>Welcome. Please wait here: {providerName} will start your visit shortly.</p>
      <p class="muted small">Keep this page open. You do not need an account to join.</p>
    </Layout>
  );
}
