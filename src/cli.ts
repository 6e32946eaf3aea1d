import { parseArgs } from "node:util";
import { z } from "zod";
import { clinicNameSchema, seatsSchema, subdomainSchema } from "./clinics/clinic.js";
import { countSeatsUsed, createClinic, findClinicBySubdomain } from "./clinics/clinic.queries.js";
import { ConfigError, loadConfig } from "./config.js";
import { DatabaseUnreachableError, openDatabase, type Db } from "./db/open.js";
import { migrateToLatest } from "./db/migrate.js";
import { fieldMessages } from "./field-messages.js";
import { roomNameSchema } from "./rooms/room.js";
import { addClinicMember } from "./users/add-member.js";
import { emailSchema, passwordSchema, personNameSchema, roleSchema } from "./users/user.js";

const USAGE = `Usage: npm run cli -- <command> [options]

  migrate                                              apply pending database migrations
  clinic create --subdomain S --name N --seats K       create a clinic
  clinic show --subdomain S                            show a clinic and its seats
  user add --clinic S --email E --name N --role admin|provider [--password P] [--room R]
                                                       add a member to a clinic`;

class UsageError extends Error {}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new UsageError(
      Object.entries(fieldMessages(result.error))
        .map(([f, m]) => `--${f} ${m}`)
        .join("\n"),
    );
  }
  return result.data;
}

async function run(db: Db, args: string[]): Promise<string> {
  const [noun, verb, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      subdomain: { type: "string" },
      name: { type: "string" },
      seats: { type: "string" },
      clinic: { type: "string" },
      email: { type: "string" },
      role: { type: "string" },
      password: { type: "string" },
      room: { type: "string" },
    },
    strict: true,
  });
  if (noun === "migrate") return `Applied: ${(await migrateToLatest(db)).join(", ") || "nothing (up to date)"}`;
  await migrateToLatest(db);
  if (noun === "clinic" && verb === "create") {
    const input = parse(
      z.object({ subdomain: subdomainSchema, name: clinicNameSchema, seats: z.coerce.number().pipe(seatsSchema) }),
      values,
    );
    const created = await createClinic(db, input, new Date());
    if (!created.ok) throw new UsageError(`The subdomain ${input.subdomain} is already taken.`);
    return `Created clinic ${created.value.subdomain} (${created.value.name}, ${created.value.seats} seats)`;
  }
  if (noun === "clinic" && verb === "show") {
    const clinic = await findClinicBySubdomain(db, String(values.subdomain ?? ""));
    if (!clinic) throw new UsageError("No clinic has that subdomain.");
    return `${clinic.subdomain}: ${clinic.name}, ${await countSeatsUsed(db, clinic.id)} of ${clinic.seats} seats used`;
  }
  if (noun === "user" && verb === "add") {
    const clinic = await findClinicBySubdomain(db, String(values.clinic ?? ""));
    if (!clinic) throw new UsageError("--clinic: no clinic has that subdomain.");
    const input = parse(
      z.object({
        email: emailSchema,
        name: personNameSchema,
        role: roleSchema,
        password: passwordSchema.optional(),
        room: roomNameSchema.optional(),
      }),
      values,
    );
    const added = await addClinicMember(db, clinic, { ...input, roomName: input.room }, { actor: "operator-cli", ip: null }, new Date());
    if (!added.ok)
      throw new UsageError(
        {
          email_taken: "That email already belongs to a clinic user.",
          seat_limit_reached: "The clinic has no free seat.",
          room_name_taken: "That room name is taken.",
        }[added.error],
      );
    return `Added ${added.value.user.email} to ${clinic.subdomain} as ${added.value.membership.role}`;
  }
  throw new UsageError(USAGE);
}

async function main(): Promise<void> {
  const config = loadConfig();
  // An operator's command, migrations included: no statement time limit (they are watching, and Ctrl-C stops it).
  const { db } = await openDatabase(config.databaseUrl, { statementTimeoutMs: null });
  try {
    process.stdout.write(`${await run(db, process.argv.slice(2))}\n`);
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  const expected =
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof DatabaseUnreachableError ||
    (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
  process.stderr.write(`${expected ? (error as Error).message : `Failed: ${(error as Error).message}`}\n`);
  process.exit(expected ? 2 : 1);
});
