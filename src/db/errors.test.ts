import assert from "node:assert/strict";
import { test } from "node:test";
import { isDatabaseUnavailable } from "./errors.js";

const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });

test("recognises PostgreSQL down, restarting, unreachable or stuck as the database being unavailable", () => {
  for (const error of [
    withCode("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432"),
    withCode("57P01", "terminating connection due to administrator command"),
    withCode("57P02", "terminating connection due to crash of another server process"),
    withCode("57P03", "the database system is starting up"),
    withCode("08006", "connection failure"),
    withCode("08001", "sqlclient unable to establish sqlconnection"),
    withCode("53300", "sorry, too many clients already"),
    withCode("57014", "canceling statement due to statement timeout"),
    new Error("Query read timeout"),
    new Error("Connection terminated unexpectedly"),
    new Error("Connection terminated due to connection timeout"),
    new Error("timeout exceeded when trying to connect"),
    new Error("Client has encountered a connection error and is not queryable"),
    new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")]),
  ]) {
    assert.equal(isDatabaseUnavailable(error), true, error.message);
  }
});

test("recognises a SQLite write lock held past the busy timeout", () => {
  for (const code of ["SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED"]) {
    assert.equal(isDatabaseUnavailable(withCode(code, "database is locked")), true, code);
  }
});

test("leaves bugs and refusals of the query itself to the error page for faults", () => {
  for (const error of [
    withCode("23505", "duplicate key value violates unique constraint"),
    withCode("42P01", 'relation "users" does not exist'),
    withCode("SQLITE_CONSTRAINT_UNIQUE", "UNIQUE constraint failed: users.email"),
    new TypeError("Cannot read properties of undefined"),
    new AggregateError([withCode("ECONNREFUSED"), new Error("boom")]),
    "Connection terminated",
    null,
  ]) {
    assert.equal(isDatabaseUnavailable(error), false, String(error));
  }
});
