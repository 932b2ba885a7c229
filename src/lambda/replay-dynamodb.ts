import { nodeCrypto } from "../util/builtins.js";
import type { ReplayStore } from "./replay-store.js";

/**
 * The shared DPoP replay store (`dpopReplay.store: "dynamodb"`): one conditional `PutItem` per
 * accepted proof, in a table every instance of the function shares. The item is
 * `{ pk: base64url(SHA-256(jkt + " " + jti)), expiresAt: <Unix seconds> }`, written only when no
 * item of that key exists, or when the one there has expired: DynamoDB's TTL deletes expired items
 * in the background, typically within days, and until then they are still read and written, so an
 * expired-but-present item must not count as a replay. `ConditionalCheckFailedException` means a
 * replay; any other error, or no answer within `timeoutMs`, rejects with a {@link ReplayStoreError}
 * and the request is refused (fail closed).
 *
 * The AWS SDK is the one Lambda's Node.js runtime provides (`@aws-sdk/client-dynamodb`), loaded
 * with `import()` only when this store is configured; its name is not a literal, so no bundler
 * (gatepass's, or one bundling an application with this library) tries to bring it in.
 */

/** What the store needs of a DynamoDB client: `@aws-sdk/client-dynamodb`'s `DynamoDBClient` has it. */
export interface DynamoDbClientLike {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** The part of `@aws-sdk/client-dynamodb` the store uses. */
interface DynamoDbSdk {
  DynamoDBClient: new (config: { region?: string }) => DynamoDbClientLike;
  PutItemCommand: new (input: Record<string, unknown>) => unknown;
}

export interface DynamoDbReplayOptions {
  table: string;
  /** Absent: the SDK's own (the function's `AWS_REGION`). Ignored with `client`. */
  region?: string | undefined;
  timeoutMs: number;
  /** A client of your own (endpoint, credentials, retries); absent: one made from `region`. */
  client?: DynamoDbClientLike | undefined;
  now?: () => number;
}

/** The store could not say whether the proof is new: the request is refused. The message is a safe detail. */
export class ReplayStoreError extends Error {
  override readonly name = "ReplayStoreError";
}

/** The SDK's package, named through a variable: bundlers leave a non-literal `import()` alone. */
const SDK_PACKAGE: string = "@aws-sdk/client-dynamodb";
/** An error name as the SDK sets it (`ResourceNotFoundException`): shown; anything else is not. */
const ERROR_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

export function dynamoDbReplayStore(options: DynamoDbReplayOptions): ReplayStore {
  const { table, timeoutMs } = options;
  const now = options.now ?? Date.now;
  // Loading starts now, at cold start, so the first request does not wait for it.
  const ready: Promise<{ sdk: DynamoDbSdk; client: DynamoDbClientLike }> = (
    import(SDK_PACKAGE) as Promise<DynamoDbSdk>
  ).then(
    (sdk) => ({
      sdk,
      client:
        options.client ??
        new sdk.DynamoDBClient(options.region === undefined ? {} : { region: options.region }),
    }),
    () => {
      throw new ReplayStoreError(
        `the DPoP replay store cannot load ${SDK_PACKAGE} (Lambda's Node.js runtime provides it)`,
      );
    },
  );
  // A failed load surfaces on the first request, not as an unhandled rejection.
  ready.catch(() => undefined);

  async function put(
    { sdk, client }: Awaited<typeof ready>,
    id: string,
    expiresAtSeconds: number,
    signal: AbortSignal,
  ): Promise<boolean> {
    const command = new sdk.PutItemCommand({
      TableName: table,
      Item: {
        pk: { S: nodeCrypto.createHash("sha256").update(id, "utf8").digest("base64url") },
        expiresAt: { N: String(Math.ceil(expiresAtSeconds)) },
      },
      ConditionExpression: "attribute_not_exists(#pk) OR #expiresAt < :now",
      ExpressionAttributeNames: { "#pk": "pk", "#expiresAt": "expiresAt" },
      ExpressionAttributeValues: { ":now": { N: String(Math.floor(now() / 1000)) } },
    });
    try {
      await client.send(command, { abortSignal: signal });
      return true;
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      if (name === "ConditionalCheckFailedException") return false;
      if (signal.aborted) throw new ReplayStoreError(timeoutDetail);
      throw new ReplayStoreError(
        `the DPoP replay store failed (${typeof name === "string" && ERROR_NAME.test(name) ? name : "error"})`,
      );
    }
  }
  const timeoutDetail = `the DPoP replay store did not answer within ${timeoutMs} ms`;

  return {
    ready: () =>
      ready.then(
        () => undefined,
        () => undefined,
      ),
    async remember(id, expiresAtSeconds) {
      // The SDK's loading is local work of the cold start (`ready`, which `hydrate` awaits during
      // init): the timeout is the put's alone.
      const loaded = await ready;
      const controller = new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      // A client that ignores the abort signal cannot hold the request longer either.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new ReplayStoreError(timeoutDetail));
        }, timeoutMs);
      });
      try {
        return await Promise.race([put(loaded, id, expiresAtSeconds, controller.signal), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
