import fastifyMultipart from "@fastify/multipart";
import type { FastifyInstance, FastifyRequest } from "fastify";

/** A file a form sent, read into memory within the limits (a longer file arrives cut at `fileBytes`). */
export class UploadedFile {
  constructor(
    readonly filename: string,
    readonly bytes: Buffer,
  ) {}

  /** A browser sends every file input, chosen or not: an unchosen one has no name and no bytes. */
  get chosen(): boolean {
    return this.filename !== "" || this.bytes.length > 0;
  }
}

export interface UploadLimits {
  /** Bytes kept of each file: one more than the largest accepted, so the reader can tell "too large". */
  fileBytes: number;
  /** File inputs on the form (each one arrives, chosen or not). */
  files: number;
  /** Text fields on the form, the CSRF token included. */
  fields: number;
  /** The longest text field, in bytes. */
  fieldBytes: number;
}

/** Refused while reading a multipart form: a field too long or sent twice (413), or a garbled upload (400). */
export class UploadRefused extends Error {
  constructor(
    readonly code: "upload_refused" | "upload_malformed",
    message: string,
  ) {
    super(message);
  }

  get statusCode(): number {
    return this.code === "upload_refused" ? 413 : 400;
  }
}

/**
 * Lets the routes of `scope` take multipart forms (file uploads) within strict limits; urlencoded forms keep
 * working. The body becomes what formFields() reads (strings, the CSRF token among them) plus UploadedFiles.
 */
export async function acceptFileUploads(scope: FastifyInstance, limits: UploadLimits): Promise<void> {
  await scope.register(fastifyMultipart, {
    // Too large is answered beside the field in a sentence, not by a bare 413: the reader sees fileBytes bytes.
    throwFileSizeLimit: false,
    limits: {
      fileSize: limits.fileBytes,
      files: limits.files,
      fields: limits.fields,
      // No part beyond the form's own fields and files.
      parts: limits.files + limits.fields,
      fieldSize: limits.fieldBytes,
      fieldNameSize: 40,
      headerPairs: 10,
    },
  });
  // Read before the CSRF preHandler, which then finds _csrf in the body as in any other form.
  scope.addHook("preValidation", async (request) => {
    if (request.isMultipart()) request.body = await readMultipartForm(request);
  });
}

async function readMultipartForm(request: FastifyRequest): Promise<Record<string, string | UploadedFile>> {
  const form = new Map<string, string | UploadedFile>();
  try {
    for await (const part of request.parts()) {
      if (form.has(part.fieldname)) throw new UploadRefused("upload_refused", "a field was sent more than once");
      if (part.type === "file") {
        form.set(part.fieldname, new UploadedFile(part.filename, await part.toBuffer()));
      } else {
        if (part.valueTruncated || typeof part.value !== "string")
          throw new UploadRefused("upload_refused", "a field is longer than the form accepts");
        form.set(part.fieldname, part.value);
      }
    }
  } catch (error) {
    // The plugin's limit errors carry their code; busboy's own parse errors become one plain refusal.
    const code = (error as { code?: unknown }).code;
    if (error instanceof UploadRefused || (typeof code === "string" && code.startsWith("FST_"))) throw error;
    throw new UploadRefused("upload_malformed", "the multipart body could not be read");
  }
  return Object.fromEntries(form);
}

/** The file a multipart form sent in `name`, if one was chosen. */
export function uploadedFile(request: FastifyRequest, name: string): UploadedFile | null {
  const value = (request.body as Record<string, unknown> | undefined)?.[name];
  return value instanceof UploadedFile && value.chosen ? value : null;
}
