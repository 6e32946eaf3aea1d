import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { describe, test } from "node:test";
import { ConfigError, loadConfig } from "./config.js";

const TOKEN = "an-operator-token-of-at-least-32-characters";

describe("TRUST_PROXY", () => {
  const trust = (value?: string) => loadConfig(value === undefined ? {} : { TRUST_PROXY: value }).trustProxy;

  test("is off by default, and with false or 0", () => {
    for (const value of [undefined, "false", "0", ""]) assert.deepEqual(trust(value), { kind: "none" }, String(value));
  });

  test("a number is how many proxies stand in front of the app", () => {
    assert.deepEqual(trust("1"), { kind: "hops", hops: 1 });
    assert.deepEqual(trust("2"), { kind: "hops", hops: 2 });
  });

  test("a list names the proxies' addresses and networks", () => {
    assert.deepEqual(trust("10.0.0.0/8, 192.168.1.5,fd00::/8,::1"), {
      kind: "addresses",
      addresses: ["10.0.0.0/8", "192.168.1.5", "fd00::/8", "::1"],
    });
  });

  test("refuses true, which would let every client choose its own address", () => {
    assert.throws(
      () => trust("true"),
      (e: unknown) => e instanceof ConfigError && /TRUST_PROXY must say whom to trust/.test(e.message),
    );
  });

  test("refuses entries that are not addresses or networks, naming them", () => {
    for (const [value, named] of [
      ["10.0.0.0/33", "10.0.0.0/33"],
      ["proxy.internal", "proxy.internal"],
      ["10.0.0.1, 300.1.1.1", "300.1.1.1"],
      ["fd00::/129", "fd00::/129"],
      ["10.0.0.0/8/8", "10.0.0.0/8/8"],
      ["10.0.0.0/", "10.0.0.0/"],
      ["-1", "-1"],
    ] as const) {
      assert.throws(
        () => trust(value),
        (e: unknown) => e instanceof ConfigError && e.message.includes(`not understood: ${named}`),
        value,
      );
    }
    assert.throws(() => trust("99"), /TRUST_PROXY must be a number of proxies from 0 to 10/);
  });
});

describe("production rules do not hang on NODE_ENV", () => {
  const local = { DATABASE_URL: "sqlite::memory:" };

  test("http on localhost or *.localhost is a development start: demo on, no operator token needed", () => {
    for (const env of [{}, { BASE_DOMAIN: "localhost" }, { BASE_DOMAIN: "clinics.localhost" }, { NODE_ENV: "test" }]) {
      const config = loadConfig({ ...local, ...env });
      assert.equal(config.production, false, JSON.stringify(env));
      assert.equal(config.demo, true);
      assert.equal(config.operatorTokenGenerated, true);
    }
  });

  for (const [name, env] of [
    ["NODE_ENV=production", { NODE_ENV: "production" }],
    ["a BASE_DOMAIN other than localhost", { BASE_DOMAIN: "clinics.example.com" }],
    ["a BASE_DOMAIN that only contains localhost", { BASE_DOMAIN: "localhost.example.com" }],
    ["PUBLIC_URL_SCHEME=https on localhost", { PUBLIC_URL_SCHEME: "https" }],
    ["a real domain with NODE_ENV=development", { NODE_ENV: "development", BASE_DOMAIN: "clinics.example.com" }],
  ] as const) {
    test(`${name} is production: operator token required, demo off, DEMO=1 refused`, () => {
      assert.throws(
        () => loadConfig({ ...local, ...env }),
        (e: unknown) =>
          e instanceof ConfigError && /^OPERATOR_TOKEN must be set \(at least 32 characters\) in production \(/.test(e.message),
      );
      const config = loadConfig({ ...local, ...env, OPERATOR_TOKEN: TOKEN });
      assert.equal(config.production, true);
      assert.equal(config.demo, false);
      assert.equal(loadConfig({ ...local, ...env, OPERATOR_TOKEN: TOKEN, DEMO: "0" }).demo, false);
      assert.throws(
        () => loadConfig({ ...local, ...env, OPERATOR_TOKEN: TOKEN, DEMO: "1" }),
        (e: unknown) =>
          e instanceof ConfigError &&
          /^DEMO=1 is refused in production \(.+\): the demo and its identity provider run only on/.test(e.message),
      );
    });
  }
});

describe("SMTP_URL", () => {
  test("unset, notices are not emailed", () => {
    assert.equal(loadConfig({}).smtp, null);
  });

  test("an smtp or smtps URL turns email on, from no-reply at the base domain unless SMTP_FROM says otherwise", () => {
    assert.deepEqual(loadConfig({ SMTP_URL: "smtps://mailer:pw@smtp.example.com:465" }).smtp, {
      url: "smtps://mailer:pw@smtp.example.com:465",
      from: "ClinicRooms <no-reply@localhost>",
    });
    assert.equal(
      loadConfig({ SMTP_URL: "smtp://127.0.0.1:2525", SMTP_FROM: "Care <it@care.example>" }).smtp?.from,
      "Care <it@care.example>",
    );
  });

  test("refuses anything else without repeating it (it may hold the mail server's password)", () => {
    for (const value of ["https://mailer:s3cret@smtp.example.com", "not a url", "smtp://"]) {
      assert.throws(
        () => loadConfig({ SMTP_URL: value }),
        (e: unknown) =>
          e instanceof ConfigError && /SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/.test(e.message) && !e.message.includes("s3cret"),
        value,
      );
    }
  });

  test("refuses a sender that spans lines", () => {
    assert.throws(() => loadConfig({ SMTP_URL: "smtp://127.0.0.1:25", SMTP_FROM: "a@b.example\r\nBcc: x@y.example" }), ConfigError);
  });
});

describe("METRICS_TOKEN", () => {
  test("unset or empty: no metrics token, so /metrics is not served", () => {
    assert.equal(loadConfig({}).metricsToken, null);
    assert.equal(loadConfig({ METRICS_TOKEN: "" }).metricsToken, null);
  });

  test("a token of at least 32 characters is kept; a shorter one is refused without being repeated", () => {
    assert.equal(loadConfig({ METRICS_TOKEN: TOKEN }).metricsToken, TOKEN);
    assert.throws(
      () => loadConfig({ METRICS_TOKEN: "short-secret" }),
      (e: unknown) =>
        e instanceof ConfigError && /METRICS_TOKEN must be at least 32 characters/.test(e.message) && !e.message.includes("short-secret"),
    );
  });
});

describe("REDIS_URL and the ACS's rate limits", () => {
  test("unset, rate limits are counted per process", () => {
    assert.equal(loadConfig({}).redis, null);
    assert.equal(loadConfig({ REDIS_URL: "" }).redis, null);
  });

  test("a redis or rediss URL shares them, under the default key prefix unless REDIS_KEY_PREFIX says otherwise", () => {
    assert.deepEqual(loadConfig({ REDIS_URL: "redis://:pw@redis.internal:6379/0" }).redis, {
      url: "redis://:pw@redis.internal:6379/0",
      keyPrefix: "clinicrooms:rate-limit:",
    });
    assert.equal(loadConfig({ REDIS_URL: "rediss://redis.internal", REDIS_KEY_PREFIX: "staging:rl:" }).redis?.keyPrefix, "staging:rl:");
  });

  test("refuses anything else without repeating it (it may hold Redis's password)", () => {
    for (const value of ["http://:s3cret@redis.internal:6379", "not a url", "redis://"]) {
      assert.throws(
        () => loadConfig({ REDIS_URL: value }),
        (e: unknown) =>
          e instanceof ConfigError && /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/.test(e.message) && !e.message.includes("s3cret"),
        value,
      );
    }
    assert.throws(() => loadConfig({ REDIS_URL: "redis://127.0.0.1", REDIS_KEY_PREFIX: "has space" }), ConfigError);
  });

  test("the ACS allows 120 posts a minute per address and 600 per clinic unless told otherwise", () => {
    assert.deepEqual(loadConfig({}).acsRateLimit, { perIpPerMinute: 120, perClinicPerMinute: 600 });
    assert.deepEqual(loadConfig({ ACS_RATE_LIMIT_PER_IP: "30", ACS_RATE_LIMIT_PER_CLINIC: "3000" }).acsRateLimit, {
      perIpPerMinute: 30,
      perClinicPerMinute: 3000,
    });
    for (const value of ["0", "-1", "1.5", "many"]) {
      assert.throws(
        () => loadConfig({ ACS_RATE_LIMIT_PER_IP: value }),
        (e: unknown) => e instanceof ConfigError && /ACS_RATE_LIMIT_PER_IP must be/.test(e.message),
        value,
      );
    }
  });
});

describe("SAML_WORKERS", () => {
  test("is one worker thread per core by default; 0 verifies on the main thread", () => {
    assert.equal(loadConfig({}).samlWorkers, availableParallelism());
    assert.equal(loadConfig({ SAML_WORKERS: "" }).samlWorkers, availableParallelism());
    assert.equal(loadConfig({ SAML_WORKERS: "0" }).samlWorkers, 0);
    assert.equal(loadConfig({ SAML_WORKERS: "3" }).samlWorkers, 3);
  });

  test("refuses a negative, fractional, huge or non-numeric count", () => {
    for (const value of ["-1", "1.5", "65", "many"]) {
      assert.throws(
        () => loadConfig({ SAML_WORKERS: value }),
        (e: unknown) => e instanceof ConfigError && /SAML_WORKERS/.test(e.message),
        value,
      );
    }
  });
});

describe("DATABASE_STATEMENT_TIMEOUT_MS", () => {
  test("is 5 seconds unless told otherwise", () => {
    assert.equal(loadConfig({}).databaseStatementTimeoutMs, 5000);
    assert.equal(loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: "1500" }).databaseStatementTimeoutMs, 1500);
  });

  test("refuses a value under 100 ms, over ten minutes, fractional or not a number", () => {
    for (const value of ["50", "600001", "1.5", "abc"]) {
      assert.throws(
        () => loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: value }),
        (e: unknown) => e instanceof ConfigError && /DATABASE_STATEMENT_TIMEOUT_MS must be/.test(e.message),
        value,
      );
    }
  });
});
