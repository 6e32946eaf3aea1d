import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryId,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from "kysely";
import type { Db } from "../../src/db/open.js";

/**
 * Holds the app at one exact point of a transaction: once armed for a table, the next insert into it is executed
 * and then waits (its transaction open, the rows before it written but not committed) until the test lets go.
 */
export class InsertGate implements KyselyPlugin {
  private armed: { table: string; reached: () => void; release: Promise<void> } | null = null;
  private readonly held = new WeakSet<QueryId>();

  wrap(db: Db): Db {
    return db.withPlugin(this);
  }

  /** Resolves when the insert has run; call the returned function to let the transaction go on. */
  arm(table: string): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const releasePromise = new Promise<void>((resolve) => (release = resolve));
    this.armed = { table, reached, release: releasePromise };
    return { reached: reachedPromise, release };
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node;
    if (this.armed && node.kind === "InsertQueryNode" && node.into?.table.identifier.name === this.armed.table) this.held.add(args.queryId);
    return node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const armed = this.armed;
    if (armed && this.held.has(args.queryId)) {
      this.armed = null;
      armed.reached();
      await armed.release;
    }
    return args.result;
  }
}
