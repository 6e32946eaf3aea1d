import type { VNode } from "preact";
import type { Diagnosis } from "../../sign-in/diagnose-failure.js";
import type { SamlTestReport } from "../../sign-in/test-sign-in.js";
import { IDP_PRESETS, PRESETS, type IdpPreset } from "../../sso/saml/presets.js";
import { Alert, Layout } from "../render.js";
import { SettingsCrumbs } from "./settings-crumbs.js";

/** How each IdP names what it hands over: the form uses the admin's own IdP's words. */
export const IDP_FIELD_NAMES = {
  okta: {
    metadataUrl: "Metadata URL (Sign On tab)",
    ssoUrl: "Identity Provider Single Sign-On URL",
    entityId: "Identity Provider Issuer",
    certificate: "X.509 Certificate (the .cert download)",
  },
  entra: {
    metadataUrl: "App Federation Metadata Url",
    ssoUrl: "Login URL",
    entityId: "Microsoft Entra Identifier",
    certificate: "Certificate (Base64)",
  },
  auth0: {
    metadataUrl: "Identity Provider Metadata URL (Usage tab)",
    ssoUrl: "Identity Provider Login URL",
    entityId: "Issuer (urn:YOUR-TENANT)",
    certificate: "Identity Provider Certificate",
  },
  google: {
    metadataUrl: "Metadata URL (Google offers a metadata download instead: paste it below)",
    ssoUrl: "SSO URL",
    entityId: "Entity ID",
    certificate: "Certificate",
  },
  generic: {
    metadataUrl: "Metadata URL",
    ssoUrl: "SSO URL (single sign-on service)",
    entityId: "IdP entity ID (Issuer)",
    certificate: "X.509 signing certificate",
  },
} as const satisfies Record<IdpPreset, { metadataUrl: string; ssoUrl: string; entityId: string; certificate: string }>;

export type ConnectMethod = "metadataUrl" | "metadataXml" | "manual";

export interface ConnectFormValues {
  preset: IdpPreset;
  method: ConnectMethod;
  metadataUrl: string;
  metadataXml: string;
  idpEntityId: string;
  idpSsoUrl: string;
  certificate: string;
}

export interface ConnectIdpPageProps {
  clinicName: string;
  userName: string;
  csrfToken: string;
  values: ConnectFormValues;
  /** The refusal, in a sentence, beside the field it is about. */
  error?: { field: string; message: string } | undefined;
}

function Field(p: { id: string; label: string; error: string | undefined; hint?: string; children: VNode }): VNode {
  return (
    <div class="form-field">
      <label for={p.id}>{p.label}</label>
      {p.hint && (
        <p class="small muted" id={`${p.id}-hint`}>
          {p.hint}
        </p>
      )}
      {p.children}
      {p.error && (
        <p id={`${p.id}-error`} class="small alert-error" role="alert">
          {p.error}
        </p>
      )}
    </div>
  );
}

const describedBy = (id: string, error: string | undefined) => ({
  "aria-describedby": error ? `${id}-error` : undefined,
  "aria-invalid": error ? ("true" as const) : undefined,
});

/** Settings → Single sign-on → Connect: the IdP's side, by metadata URL, pasted metadata, or SSO URL + certificate. */
export function ConnectIdpPage(p: ConnectIdpPageProps): VNode {
  const v = p.values;
  const names = IDP_FIELD_NAMES[v.preset];
  const errorOn = (field: string) =>
    p.error && (p.error.field === field || p.error.field.startsWith(`${field}.`)) ? p.error.message : undefined;
  const certificateError = errorOn("idpCertificates") ?? errorOn("certificate");
  const metadataFileError = errorOn("metadataFile");
  const certificateFileError = errorOn("certificateFile");
  return (
    <Layout title="Connect your identity provider" brand={p.clinicName} signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <SettingsCrumbs current="Single sign-on" />
      <h1>Connect your identity provider</h1>
      {p.error && <Alert kind="error">Not saved: {p.error.message}</Alert>}
      <form method="get" action="/settings/sso/connect" class="card">
        <label for="idp">Your identity provider</label>
        <select id="idp" name="idp">
          {IDP_PRESETS.map((preset) => (
            <option value={preset} selected={preset === v.preset}>
              {PRESETS[preset].label}
            </option>
          ))}
        </select>
        <button type="submit" class="secondary">
          Use its field names
        </button>
      </form>
      <form method="post" action="/settings/sso/connect" class="card" enctype="multipart/form-data">
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <input type="hidden" name="preset" value={v.preset} />
        <p>
          Give us {PRESETS[v.preset].label}'s side in one of three ways. Saving never turns single sign-on on: run a test sign-in first.
        </p>
        <fieldset>
          <legend>How</legend>
          {(
            [
              ["metadataUrl", `${names.metadataUrl} (recommended: it follows certificate changes)`],
              ["metadataXml", "Metadata XML: upload the file, or paste it"],
              ["manual", `${names.ssoUrl} and ${names.certificate}`],
            ] as const
          ).map(([method, label]) => (
            <div class="choice">
              <input type="radio" id={`method-${method}`} name="method" value={method} checked={v.method === method} />
              <label for={`method-${method}`}>{label}</label>
            </div>
          ))}
        </fieldset>
        <Field id="metadata-url" label={names.metadataUrl} error={errorOn("metadataUrl")}>
          <input
            type="url"
            id="metadata-url"
            name="metadataUrl"
            value={v.metadataUrl}
            {...describedBy("metadata-url", errorOn("metadataUrl"))}
          />
        </Field>
        <Field
          id="metadata-file"
          label="Metadata file (.xml)"
          error={metadataFileError}
          hint="The metadata file your identity provider offers for download, up to 1 MB."
        >
          <input
            type="file"
            id="metadata-file"
            name="metadataFile"
            accept=".xml,text/xml,application/xml,application/samlmetadata+xml"
            {...describedBy("metadata-file", metadataFileError)}
          />
        </Field>
        <Field
          id="metadata-xml"
          label="Or paste the metadata XML"
          error={errorOn("metadataXml")}
          hint="All of the file, from <?xml to the end."
        >
          <textarea id="metadata-xml" name="metadataXml" rows={6} {...describedBy("metadata-xml", errorOn("metadataXml"))}>
            {v.metadataXml}
          </textarea>
        </Field>
        <Field id="sso-url" label={names.ssoUrl} error={errorOn("idpSsoUrl")}>
          <input type="url" id="sso-url" name="idpSsoUrl" value={v.idpSsoUrl} {...describedBy("sso-url", errorOn("idpSsoUrl"))} />
        </Field>
        <Field id="entity-id" label={names.entityId} error={errorOn("idpEntityId")}>
          <input
            type="text"
            id="entity-id"
            name="idpEntityId"
            value={v.idpEntityId}
            {...describedBy("entity-id", errorOn("idpEntityId"))}
          />
        </Field>
        <Field
          id="certificate-file"
          label={`${names.certificate}: its file`}
          error={certificateFileError}
          hint="The .cer, .cert or .pem file (PEM or binary DER), up to 20 KB. Never a .pfx or .p12: those hold the private key."
        >
          <input
            type="file"
            id="certificate-file"
            name="certificateFile"
            accept=".cer,.cert,.crt,.pem,.der,.txt"
            {...describedBy("certificate-file", certificateFileError)}
          />
        </Field>
        <Field
          id="certificate"
          label={`Or paste the ${names.certificate}`}
          error={certificateError}
          hint="Paste the PEM text (-----BEGIN CERTIFICATE-----), the contents of a .cer/.cert file, or the bare base64."
        >
          <textarea id="certificate" name="certificate" rows={6} {...describedBy("certificate", certificateError)}>
            {v.certificate}
          </textarea>
        </Field>
        <button type="submit">Save the identity provider</button>
      </form>
    </Layout>
  );
}

/** The first failed rule, the values side by side, and the fix. */
export function DiagnosisView({ diagnosis }: { diagnosis: Diagnosis }): VNode {
  return (
    <div class="diagnosis">
      <p>
        <strong>{diagnosis.summary}</strong>
      </p>
      {diagnosis.compared.length > 0 && (
        <table class="stacked">
          <thead>
            <tr>
              <th scope="col">Value</th>
              <th scope="col">Your IdP sent</th>
              <th scope="col">We expect</th>
            </tr>
          </thead>
          <tbody>
            {diagnosis.compared.map((row) => (
              <tr>
                <th scope="row">{row.label}</th>
                <td class="event-reason">{row.theirs || "—"}</td>
                <td class="event-reason">{row.ours || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {diagnosis.fix && <p>How to fix: {diagnosis.fix}</p>}
      <p class="small muted">Rule: {diagnosis.code}</p>
    </div>
  );
}

/** What a test sign-in (or a pasted response) showed: success with the attributes received, or the diagnosis. */
export function TestReportView({ report, pasted }: { report: SamlTestReport; pasted?: boolean }): VNode {
  const what = pasted ? "The pasted response" : report.certificates === "next" ? "The rollover rehearsal" : "The test sign-in";
  if (!report.ok) {
    return (
      <section aria-labelledby="report-heading">
        <h2 id="report-heading">{what} failed</h2>
        <DiagnosisView diagnosis={report.diagnosis} />
        <p class="small muted">
          Reference <span class="ref">{report.reference}</span>. Nobody was signed in.
        </p>
      </section>
    );
  }
  const { identity, member } = report;
  return (
    <section aria-labelledby="report-heading">
      <h2 id="report-heading">{what} worked</h2>
      <Alert kind="success">
        Your identity provider vouched for {identity.email}
        {report.certificates === "next" ? ", signed with the staged next certificate" : ""}. Nobody was signed in.
      </Alert>
      <dl class="facts">
        <dt>Issuer</dt>
        <dd>{identity.issuer}</dd>
        <dt>NameID</dt>
        <dd>
          {identity.nameId} <span class="small muted">({identity.nameIdFormat ?? "no format"})</span>
        </dd>
        <dt>A real sign-in would</dt>
        <dd>
          {member.kind === "existing"
            ? `sign in ${member.name} (${member.role})`
            : member.kind === "provision"
              ? "create their account (just-in-time provisioning)"
              : `refuse this person: ${member.diagnosis.summary}${member.diagnosis.fix ? ` How to fix: ${member.diagnosis.fix}` : ""}`}
        </dd>
      </dl>
      <h3>Attributes received</h3>
      {report.attributes.length === 0 ? (
        <p class="muted">No attributes: only the NameID.</p>
      ) : (
        <table class="stacked">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Values</th>
            </tr>
          </thead>
          <tbody>
            {report.attributes.map((a) => (
              <tr>
                <td class="event-reason">{a.name}</td>
                <td class="event-reason">{a.values.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function TestResultPage(p: { clinicName: string; report: SamlTestReport }): VNode {
  const title = p.report.ok ? "Test sign-in worked" : "Test sign-in failed";
  return (
    <Layout title={title} brand={p.clinicName}>
      <h1>{p.report.certificates === "next" ? "Rollover rehearsal" : "Test sign-in"}</h1>
      <TestReportView report={p.report} />
      <p>
        <a class="button" href="/settings/sso">
          Back to single sign-on settings
        </a>
      </p>
    </Layout>
  );
}

export interface PasteResponsePageProps {
  clinicName: string;
  userName: string;
  csrfToken: string;
  report?: SamlTestReport | undefined;
  error?: string | undefined;
  maxChars: number;
}

/** A SAMLResponse captured with a browser's SAML tracer, diagnosed like a test sign-in; never stored. */
export function PasteResponsePage(p: PasteResponsePageProps): VNode {
  return (
    <Layout title="Diagnose a captured response" brand={p.clinicName} signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <SettingsCrumbs current="Single sign-on" />
      <h1>Diagnose a captured response</h1>
      {p.report && <TestReportView report={p.report} pasted />}
      <form method="post" action="/settings/sso/diagnose" class="card">
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <Field
          id="saml-response"
          label="SAMLResponse (base64)"
          error={p.error}
          hint={`From a SAML tracer browser extension: the SAMLResponse value posted to our ACS, up to ${p.maxChars.toLocaleString("en")} characters. It is checked here and never stored; nobody is signed in.`}
        >
          <textarea id="saml-response" name="samlResponse" rows={8} required {...describedBy("saml-response", p.error)}></textarea>
        </Field>
        <button type="submit">Diagnose</button>
      </form>
    </Layout>
  );
}
