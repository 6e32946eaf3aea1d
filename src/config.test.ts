import assert from "node:assert/strict";
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
