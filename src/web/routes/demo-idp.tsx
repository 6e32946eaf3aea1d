import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { MAX_RELAY_STATE_CHARS, type DemoIdp } from "../../demo/demo-idp.js";
import {
  answerDemoIdpInitiatedSignIn,
  answerDemoSignInRequest,
  listDemoIdpApps,
  readDemoSignInRequest,
  type DemoSignIn,
  type DemoPersonChoice,
  type DemoPersonRefusal,
  type DemoSignInAnswer,
  type DemoSsoRefusal,
} from "../../demo/demo-idp-sign-in.js";
import { DEMO_PEOPLE } from "../../demo/demo-people.js";
import type { WebContext } from "../context.js";
import { csrfToken, formFields } from "../forms.js";
import { AutoPostPage } from "../pages/auto-post.js";
import { DemoIdpAppsPage, DemoIdpLoginPage } from "../pages/demo-idp.js";
import { problem, notFound, sendProblem, type Problem } from "../problems.js";
import { sendPage } from "../render.js";
import { statusOf } from "../statuses.js";

// An AuthnRequest and its optional RelayState, each sent once as text; anything else is not a request the IdP can read.
const SignInRequestForm = z
  .object({ SAMLRequest: z.string(), RelayState: z.string().optional() })
  .transform((form) => ({ samlRequest: form.SAMLRequest, relayState: form.RelayState }));

// A listed person's button, or the typed email and name: whichever the form sent.
const PersonChoiceForm = z
  .object({ person: z.string().optional(), email: z.string().optional(), name: z.string().optional() })
  .transform((form): DemoPersonChoice => (form.person !== undefined ? { person: form.person } : { email: form.email, name: form.name }));

const AppChoiceForm = z.object({ clinic: z.string().optional() }).and(PersonChoiceForm);

const START_OVER = { href: "/demo-idp/apps", label: "Open the demo identity provider's apps" };

const REFUSALS: Record<DemoSsoRefusal, Problem> = {
  request_too_large: problem("demo_idp_request_too_large", {
    title: "Sign-in request too large",
    message: "This sign-in request is far larger than any real one, so the demo identity provider did not read it.",
    next: START_OVER,
  }),
  relay_state_too_long: problem("demo_idp_relay_state_too_long", {
    title: "Sign-in request refused",
    message: `The RelayState sent with this sign-in request is longer than ${MAX_RELAY_STATE_CHARS} characters, so the demo identity provider did not accept it.`,
    next: START_OVER,
  }),
  malformed_request: problem("demo_idp_malformed_request", {
    title: "Unreadable sign-in request",
    message:
      "This is not a SAML sign-in request (AuthnRequest) the demo identity provider can read. Start again from your clinic's sign-in page.",
    next: START_OVER,
  }),
  wrong_destination: problem("demo_idp_wrong_destination", {
    title: "Sign-in request for another provider",
    message:
      "This sign-in request is addressed to a different identity provider: its Destination is not the demo identity provider's SSO URL.",
    next: START_OVER,
  }),
  unknown_service_provider: problem("demo_idp_unknown_service_provider", {
    title: "Unknown application",
    message:
      "The application asking you to sign in is not connected to the demo identity provider: its Issuer is not the SP entity ID of any clinic connected here. Connect the clinic to the demo identity provider first.",
    next: START_OVER,
  }),
  acs_mismatch: problem("demo_idp_acs_mismatch", {
    title: "Unexpected return address",
    message:
      "The application asked for the answer to go to an address that is not its registered sign-in address (ACS URL), so the demo identity provider will not send it there.",
    next: START_OVER,
  }),
};

const UNKNOWN_APP: Problem = problem("demo_idp_unknown_app", {
  title: "App not found",
  message: "That clinic is not connected to the demo identity provider.",
  next: START_OVER,
});

const PERSON_REFUSALS: Record<DemoPersonRefusal, string> = {
  unknown_person: "Choose one of the demo people to sign in as, or type an email and a name.",
  invalid_email: "Type an email address such as lee@acme.example to sign in as someone not in the list.",
  invalid_name: "Type the person's name (up to 200 characters) as well as their email.",
};

/** The demo IdP (development only): metadata, SP-initiated login, app dashboard. Never registered in production. */
export function registerDemoIdpRoutes(app: FastifyInstance, ctx: WebContext, idp: DemoIdp): void {
  // Main site only: on a clinic host the IdP would look like part of that clinic.
  const onMainSiteOnly = {
    onRequest: async (request: FastifyRequest, reply: FastifyReply) => (request.clinic ? sendProblem(request, reply, notFound) : undefined),
  };
  const withCsrf = { ...onMainSiteOnly, preHandler: app.csrfProtection };

  app.get("/demo-idp/metadata", onMainSiteOnly, async (_request, reply) =>
    reply.header("content-type", "application/samlmetadata+xml; charset=utf-8").send(idp.metadataXml),
  );

  app.get("/demo-idp/sso", onMainSiteOnly, async (request, reply) => {
    const form = SignInRequestForm.safeParse(request.query);
    if (!form.success) return sendProblem(request, reply, REFUSALS.malformed_request);
    const signIn = await readDemoSignInRequest(ctx.db, ctx.config, idp, form.data);
    if (!signIn.ok) return sendProblem(request, reply, REFUSALS[signIn.error]);
    return sendLoginPage(reply, signIn.value, form.data.samlRequest);
  });

  app.post("/demo-idp/sso", withCsrf, async (request, reply) => {
    const fields = formFields(request);
    const form = SignInRequestForm.safeParse(fields);
    if (!form.success) return sendProblem(request, reply, REFUSALS.malformed_request);
    const answer = await answerDemoSignInRequest(ctx.db, ctx.config, idp, form.data, PersonChoiceForm.parse(fields), ctx.clock());
    if (!answer.ok && "signIn" in answer) return sendLoginPage(reply, answer.signIn, form.data.samlRequest, answer.error);
    if (!answer.ok) return sendProblem(request, reply, REFUSALS[answer.error]);
    return sendAutoPost(reply, answer.value);
  });

  async function sendApps(reply: FastifyReply, refusal?: DemoPersonRefusal) {
    const apps = (await listDemoIdpApps(ctx.db, ctx.config, idp)).map(({ clinic, sp }) => ({
      clinicId: clinic.id,
      clinicName: clinic.name,
      dashboardUrl: sp.defaultRelayState,
    }));
    return sendPage(
      reply,
      <DemoIdpAppsPage apps={apps} people={DEMO_PEOPLE} csrfToken={csrfToken(reply)} error={refusal && PERSON_REFUSALS[refusal]} />,
      refusal && statusOf(`demo_idp_${refusal}`),
    );
  }

  app.get("/demo-idp/apps", onMainSiteOnly, async (_request, reply) => sendApps(reply));

  // Single logout: the demo IdP keeps no session of its own, so there is nothing to end; say so and offer the way back.
  app.get("/demo-idp/slo", onMainSiteOnly, async (request, reply) =>
    sendProblem(
      request,
      reply,
      problem("demo_idp_signed_out", {
        title: "Signed out of the demo identity provider",
        message: "The demo identity provider keeps no session, so you are signed out of it. Sign out of your clinic from its own pages.",
        next: START_OVER,
      }),
    ),
  );

  app.post("/demo-idp/apps", withCsrf, async (request, reply) => {
    const { clinic, ...choice } = AppChoiceForm.parse(formFields(request));
    const answer = await answerDemoIdpInitiatedSignIn(ctx.db, ctx.config, idp, clinic, choice, ctx.clock());
    if (!answer.ok) return answer.error === "unknown_app" ? sendProblem(request, reply, UNKNOWN_APP) : sendApps(reply, answer.error);
    return sendAutoPost(reply, answer.value);
  });
}

/** The demo IdP's login page for one checked AuthnRequest, which travels on in a hidden field. */
function sendLoginPage(reply: FastifyReply, signIn: DemoSignIn, samlRequest: string, refusal?: DemoPersonRefusal): FastifyReply {
  return sendPage(
    reply,
    <DemoIdpLoginPage
      clinicName={signIn.clinic.name}
      spEntityId={signIn.sp.entityId}
      people={DEMO_PEOPLE}
      samlRequest={samlRequest}
      relayState={signIn.relayState}
      csrfToken={csrfToken(reply)}
      error={refusal && PERSON_REFUSALS[refusal]}
    />,
    refusal && statusOf(`demo_idp_${refusal}`),
  );
}

function sendAutoPost(reply: FastifyReply, answer: DemoSignInAnswer): FastifyReply {
  return sendPage(
    reply,
    <AutoPostPage
      title={`Signing in to ${answer.clinic.name}`}
      intro={`The demo identity provider vouched for ${answer.person.displayName}. Your browser now posts its signed answer to ${answer.clinic.name}; if nothing happens, use the button.`}
      action={answer.acsUrl}
      fields={{ SAMLResponse: answer.samlResponse, RelayState: answer.relayState }}
      buttonLabel={`Continue to ${answer.clinic.name}`}
      brand="Demo identity provider · development only"
    />,
  );
}
