import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  configureSamlConnection,
  type ConfigureError,
  type ConfigureSamlInput,
  type IdpSource,
} from "../../sso/saml/configure-connection.js";
import { MAX_METADATA_BYTES } from "../../sso/saml/idp-metadata.js";
import { IDP_PRESETS, type IdpPreset } from "../../sso/saml/presets.js";
import { removeTrustedCertificate, type RemoveCertificateError } from "../../sso/saml/remove-certificate.js";
import { entraMetadataUrlMessage, isEntraFederationMetadataUrl, reviewIdpSettings } from "../../sso/saml/review-idp-settings.js";
import { serviceProviderUrls } from "../../sso/saml/service-provider.js";
import { stageNextCertificate } from "../../sso/saml/stage-next-certificate.js";
import { MAX_CERTIFICATE_FILE_BYTES, readCertificateFile, readMetadataFile } from "../../sso/saml/uploaded-files.js";
import type { Result } from "../../result.js";
import type { WebContext } from "../context.js";
import { clientIp, csrfToken, formFields } from "../forms.js";
import { forClinicAdmin, type ClinicAdmin } from "../guards.js";
import { backToSsoSettings } from "../notices.js";
import { ConnectIdpPage, IDP_FIELD_NAMES, type ConnectFormValues, type ConnectMethod } from "../pages/sso-connect.js";
import { sendPage } from "../render.js";
import { statusOf } from "../statuses.js";
import { acceptFileUploads, uploadedFile, type UploadedFile } from "../uploads.js";

const text = (max: number) =>
  z
    .string()
    .max(max, `is longer than ${max.toLocaleString("en")} characters`)
    .default("");
const ConnectForm = z.object({
  preset: z.enum(IDP_PRESETS as [IdpPreset, ...IdpPreset[]]).catch("generic"),
  method: z.enum(["metadataUrl", "metadataXml", "manual"]).catch("metadataUrl"),
  metadataUrl: text(2048),
  metadataXml: text(MAX_METADATA_BYTES),
  idpEntityId: text(1024),
  idpSsoUrl: text(2048),
  certificate: text(20_000),
});

const NextCertificateForm = z.object({ certificate: z.string().catch("") });
// Cut to a length no fingerprint reaches: a longer value names no certificate anyway.
const RemoveCertificateForm = z.object({
  fingerprint: z
    .string()
    .catch("")
    .transform((f) => f.slice(0, 200)),
});

const REMOVE_REFUSALS = {
  not_configured: "Connect your identity provider first.",
  not_trusted: "That certificate is not trusted any more: the page was out of date. Check the certificates below.",
  only_certificate: "This is the only certificate: sign-in needs one. Stage the next certificate before removing this one.",
  next_expired: "The next certificate has expired, so your identity provider cannot be signing with it: the old certificate was kept.",
} as const satisfies Record<RemoveCertificateError, string>;

/** A connect form that was read: its values, its files, and the IdP side they give. */
interface ConnectInput {
  values: ConnectFormValues;
  files: ConnectFiles;
  source: IdpSource;
}

type ConnectFiles = { metadataFile: UploadedFile | null; certificateFile: UploadedFile | null };

/** The connect form shown again with one field's refusal, in the words of the chosen IdP. */
interface ConnectRefusal {
  values: ConnectFormValues;
  field: string;
  message: string;
}

const NEW_IDP_WHILE_ENFORCED =
  "Single sign-on is required for your clinic, and this is a different identity provider that has never signed anyone in: turn off Require single sign-on first, then connect, test and require it again.";

/**
 * Saving the IdP's side (metadata URL, metadata file or pasted XML, SSO URL and certificate file or text), the
 * rollover's next certificate, and removing a certificate after the rollover. Multipart forms only here.
 */
export function registerIdpSideRoutes(app: FastifyInstance, ctx: WebContext): void {
  // http metadata and SSO URLs only for a local development start (http://localhost), never in production.
  const fetchPolicy = { allowInsecure: !ctx.config.production };
  const csrf = { preHandler: app.csrfProtection };
  const actorOf = (request: FastifyRequest, admin: ClinicAdmin) => ({ actor: admin.auth.user.id, ip: clientIp(request) });
  /** The form again with the refusal beside its field; whatever refused it, the IdP side as given was not saved (400). */
  const refuse = (reply: FastifyReply, admin: ClinicAdmin, { values, field, message }: ConnectRefusal) =>
    sendPage(
      reply,
      <ConnectIdpPage
        clinicName={admin.clinic.name}
        userName={admin.auth.user.name}
        csrfToken={csrfToken(reply)}
        values={values}
        error={{ field, message: sentence(message, fieldLabel(values.preset, field)) }}
      />,
      statusOf("invalid_idp_configuration"),
    );

  /** What configureSamlConnection is asked: the source read from the form, judged by the same rules as the page's. */
  const connectRequest = (admin: ClinicAdmin, { values, source }: ConnectInput): ConfigureSamlInput => {
    const sp = serviceProviderUrls(ctx.config, admin.clinic.subdomain);
    const primary = primaryField(values);
    return {
      source,
      preset: values.preset,
      flags: {},
      keepEnabledOnlyIfTested: true,
      review: (settings, metadataXml) =>
        reviewIdpSettings(settings, metadataXml, {
          spEntityId: sp.entityId,
          now: ctx.clock(),
          fields: { entityId: primary ?? "idpEntityId", ssoUrl: primary ?? "idpSsoUrl", certificates: primary ?? "idpCertificates" },
        }),
    };
  };

  app.register(async (scope) => {
    await acceptFileUploads(scope, {
      // The connect form has two file inputs (metadata, certificate) and a browser sends both, chosen or not.
      files: 2,
      fields: 8,
      fileBytes: MAX_METADATA_BYTES + 1,
      fieldBytes: MAX_METADATA_BYTES + 1,
    });

    scope.post(
      "/settings/sso/connect",
      { ...csrf, bodyLimit: 2 * MAX_METADATA_BYTES },
      forClinicAdmin(async (request, reply, admin) => {
        const input = readConnectForm(request);
        if (!input.ok) return refuse(reply, admin, input.error);
        const asked = connectRequest(admin, input.value);
        const result = await configureSamlConnection(ctx.db, admin.clinic, asked, fetchPolicy, actorOf(request, admin), ctx.clock());
        if (!result.ok) return refuse(reply, admin, connectRefusal(input.value, result.error));
        const on = result.value.enabled ? "" : " Run a test sign-in, then turn single sign-on on.";
        return backToSsoSettings(ctx, request, reply, `Saved ${result.value.idpEntityId} as your identity provider.${on}`);
      }),
    );

    scope.post(
      "/settings/sso/next-certificate",
      csrf,
      forClinicAdmin(async (request, reply, admin) => {
        const { certificate } = NextCertificateForm.parse(formFields(request));
        const given = certificateText(certificate, uploadedFile(request, "certificateFile"));
        if (!given.ok) return backToSsoSettings(ctx, request, reply, `The next certificate was not staged: ${given.error}.`, true);
        const staged = await stageNextCertificate(ctx.db, admin.clinic, given.value, actorOf(request, admin), ctx.clock());
        if (!staged.ok) return backToSsoSettings(ctx, request, reply, `The next certificate was not staged: ${staged.error}.`, true);
        const next = staged.value.certificates[1]!;
        const said = `Staged the next certificate (${next.subject}); both are trusted. Rehearse the rollover with it now.`;
        return backToSsoSettings(ctx, request, reply, said);
      }),
    );

    scope.post(
      "/settings/sso/remove-certificate",
      csrf,
      forClinicAdmin(async (request, reply, admin) => {
        const { fingerprint } = RemoveCertificateForm.parse(formFields(request));
        const by = { ...actorOf(request, admin), email: admin.auth.user.email };
        const removed = await removeTrustedCertificate(ctx.db, admin.clinic, fingerprint, by, ctx.clock());
        if (!removed.ok) return backToSsoSettings(ctx, request, reply, REMOVE_REFUSALS[removed.error], true);
        const now = removed.value.connection.certificates[0]!;
        const said =
          removed.value.removed === "current"
            ? `Removed the old certificate. ${now.subject} is now the current certificate and the only one trusted.`
            : "Removed the staged next certificate. Only the current certificate is trusted.";
        return backToSsoSettings(ctx, request, reply, said);
      }),
    );
  });
}

/** The connect form, its files and the IdP side they give, or the field to show a refusal beside. */
function readConnectForm(request: FastifyRequest): { ok: true; value: ConnectInput } | { ok: false; error: ConnectRefusal } {
  const parsed = ConnectForm.safeParse(formFields(request));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    return { ok: false, error: { values: ConnectForm.parse({}), field, message: `${field} ${issue.message}` } };
  }
  const values = parsed.data;
  const files = { metadataFile: uploadedFile(request, "metadataFile"), certificateFile: uploadedFile(request, "certificateFile") };
  const source = sourceOf(values, files);
  if (!source.ok) return { ok: false, error: { values, field: source.field, message: source.message } };
  return { ok: true, value: { values, files, source: source.value } };
}

/** Where a refusal of the connection is shown: beside the field it names, or the way the admin chose. */
function connectRefusal({ values, files }: ConnectInput, error: "enforce_before_first_sign_in" | ConfigureError): ConnectRefusal {
  if (error === "enforce_before_first_sign_in")
    return { values, field: primaryField(values) ?? "idpSsoUrl", message: NEW_IDP_WHILE_ENFORCED };
  // A certificate that came from a file is refused beside the file input, where the admin chose it.
  const certificateFromFile = values.method === "manual" && files.certificateFile !== null;
  const field = certificateFromFile && error.field.startsWith("idpCertificates") ? "certificateFile" : error.field;
  return { values, field, message: error.message };
}

/** The one field that holds the whole IdP side (metadata URL or XML), or null when it is typed in field by field. */
function primaryField(values: ConnectFormValues): "metadataUrl" | "metadataXml" | null {
  return values.method === "manual" ? null : values.method;
}

type SourceResult = { ok: true; value: IdpSource } | { ok: false; field: string; message: string };

function sourceOf(v: ConnectFormValues, files: ConnectFiles): SourceResult {
  const method: ConnectMethod = v.method;
  // A file for another way than the one chosen would be silently ignored: say so instead.
  if (method !== "metadataXml" && files.metadataFile)
    return { ok: false, field: "metadataFile", message: 'You chose a metadata file: select "Metadata XML" above, or remove the file.' };
  if (method !== "manual" && files.certificateFile)
    return {
      ok: false,
      field: "certificateFile",
      message: "You chose a certificate file: select the way with the SSO URL and certificate above, or remove the file.",
    };
  if (method === "metadataUrl") {
    return v.metadataUrl.trim()
      ? { ok: true, value: { metadataUrl: v.metadataUrl.trim() } }
      : { ok: false, field: "metadataUrl", message: "Give the metadata URL." };
  }
  if (method === "metadataXml") {
    if (files.metadataFile) {
      if (v.metadataXml.trim())
        return { ok: false, field: "metadataFile", message: "Give the metadata once: choose the file or paste it, not both." };
      const read = readMetadataFile(files.metadataFile.bytes, MAX_METADATA_BYTES);
      return read.ok ? { ok: true, value: { metadataXml: read.value } } : { ok: false, field: "metadataFile", message: read.error };
    }
    return v.metadataXml.trim()
      ? { ok: true, value: { metadataXml: v.metadataXml } }
      : { ok: false, field: "metadataXml", message: "Choose the metadata file or paste the metadata XML." };
  }
  if (!v.idpSsoUrl.trim()) return { ok: false, field: "idpSsoUrl", message: "Give the SSO URL." };
  // Said at once, before anything else is asked for: the most common paste into the wrong field.
  if (isEntraFederationMetadataUrl(v.idpSsoUrl)) return { ok: false, field: "idpSsoUrl", message: entraMetadataUrlMessage() };
  if (!v.idpEntityId.trim()) return { ok: false, field: "idpEntityId", message: "Give the IdP entity ID (Issuer)." };
  const certificate = certificateText(v.certificate, files.certificateFile);
  if (!certificate.ok)
    return { ok: false, field: files.certificateFile ? "certificateFile" : "idpCertificates", message: certificate.error };
  return {
    ok: true,
    value: { idpEntityId: v.idpEntityId, idpSsoUrl: v.idpSsoUrl, idpSsoBinding: "redirect", idpCertificates: [certificate.value] },
  };
}

/** The certificate as text, from its file (DER turned into PEM) or as pasted; the checks of the text come after. */
function certificateText(pasted: string, file: UploadedFile | null): Result<string, string> {
  if (file && pasted.trim()) return { ok: false, error: "give the certificate once: choose the file or paste it, not both" };
  if (file) {
    const read = readCertificateFile(file.bytes);
    return read.ok ? read : { ok: false, error: read.error };
  }
  if (pasted.trim()) return { ok: true, value: pasted };
  return {
    ok: false,
    error: `choose the certificate file (.cer, .cert or .pem, up to ${MAX_CERTIFICATE_FILE_BYTES / 1000} KB) or paste the certificate`,
  };
}

function fieldLabel(preset: IdpPreset, field: string): string {
  const names = IDP_FIELD_NAMES[preset];
  const key = field.split(".")[0];
  return key === "idpSsoUrl"
    ? names.ssoUrl
    : key === "idpEntityId"
      ? names.entityId
      : key === "metadataUrl"
        ? names.metadataUrl
        : names.certificate;
}

// "must start with https://" from the shared rules becomes "Login URL must start with https://." in the IdP's words.
function sentence(message: string, label: string): string {
  const subject = /^(must|is) /.test(message) ? `${label} ${message}` : message;
  const text = subject.charAt(0).toUpperCase() + subject.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
