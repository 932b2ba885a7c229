/**
 * Section 5: the remote JWKS under pressure, against a counting JWKS endpoint on loopback (20 ms
 * per answer). (a) A key rotation: the identity provider starts signing with a new key, and 1,000
 * requests carrying its `kid` arrive at once: one fetch must serve them all (single flight). (b) A
 * storm of 10,000 tokens with random `kid`s, paced over a few seconds: refetches are limited to
 * one per cooldown, however many unknown `kid`s arrive.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { AUDIENCE, benchKey, ISSUER, signJwt, standardClaims } from "../lib/fixtures.js";
import { createVerifier, type Verifier } from "../lib/gatepass.js";
import { startJwksServer } from "../lib/jwks-server.js";
import type { BenchContext, Section, SectionResult, TargetResult } from "../lib/section.js";
import { markdownTable } from "../lib/table.js";

const SERVER_DELAY_MS = 20;

function remoteVerifier(jwksUri: string, cooldownSeconds: number): Verifier {
  return createVerifier(
    {
      issuers: [
        {
          issuer: ISSUER,
          audience: [AUDIENCE],
          algorithms: ["RS256"],
          jwksUri,
          jwksCache: { cooldownSeconds, maxAgeSeconds: 600 },
        },
      ],
      tokenCache: { maxEntries: 0 },
    },
    { sharedKeyCache: false },
  );
}

/** `token` with its header's `kid` replaced (the signature no longer matters: the key lookup fails first). */
function withKid(token: string, kid: string): string {
  const [, payload, signature] = token.split(".");
  const header = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT", kid })).toString("base64url");
  return `${header}.${payload}.${signature}`;
}

const codeOf = (error: unknown) => (error as { code?: string })?.code ?? String(error);

export const jwksSection: Section = {
  id: "jwks",
  title: "5. JWKS under pressure",
  async run(context: BenchContext): Promise<SectionResult> {
    const concurrent = context.quick ? 100 : 1000;
    const stormTokens = context.quick ? 1000 : 10_000;
    const stormSeconds = context.quick ? 0.3 : 3;
    const cooldownSeconds = context.quick ? 0.1 : 1;
    const oldKey = benchKey("RS256", 0);
    const newKey = { ...benchKey("RS256", 1), alg: "RS256" as const };
    const rows: string[][] = [];
    const targets: TargetResult[] = [];

    // (a) Rotation: 1,000 concurrent requests with the new key's kid.
    context.progress(`jwks: ${concurrent} concurrent requests, unknown kid`);
    const server = await startJwksServer([oldKey.publicJwk], SERVER_DELAY_MS);
    try {
      const verifier = remoteVerifier(server.url, cooldownSeconds);
      await verifier.hydrate();
      // An unknown kid refetches only once the cooldown since the last fetch has passed.
      await sleep(cooldownSeconds * 1000 + 50);
      server.setKeys([oldKey.publicJwk, newKey.publicJwk]);
      server.resetCount();
      const token = signJwt(standardClaims(), newKey);
      const started = performance.now();
      const outcomes = await Promise.allSettled(
        Array.from({ length: concurrent }, () => verifier.verify(token)),
      );
      const ms = performance.now() - started;
      const ok = outcomes.filter((o) => o.status === "fulfilled").length;
      const fetches = server.requests;
      rows.push([
        `${concurrent.toLocaleString("en-US")} concurrent requests, a kid not yet fetched (key rotation)`,
        String(fetches),
        `${ok.toLocaleString("en-US")} verified, ${concurrent - ok} refused`,
        `${ms.toFixed(0)} ms`,
        "1 fetch",
      ]);
      targets.push({
        target: `${concurrent.toLocaleString("en-US")} concurrent requests with an unknown kid → 1 JWKS request`,
        measured: `${fetches} request(s), ${ok} of ${concurrent} verified`,
        met: fetches === 1 && ok === concurrent,
      });
    } finally {
      await server.close();
    }

    // (b) Storm: random kids, paced.
    context.progress(`jwks: ${stormTokens} random-kid tokens over ${stormSeconds} s`);
    const stormServer = await startJwksServer([oldKey.publicJwk], SERVER_DELAY_MS);
    try {
      const verifier = remoteVerifier(stormServer.url, cooldownSeconds);
      await verifier.hydrate();
      await sleep(cooldownSeconds * 1000 + 50);
      stormServer.resetCount();
      const base = signJwt(standardClaims(), oldKey);
      const chunks = 50;
      const perChunk = Math.ceil(stormTokens / chunks);
      const codes = new Map<string, number>();
      const started = performance.now();
      for (let c = 0; c < chunks; c++) {
        const batch = Array.from({ length: perChunk }, (_, i) =>
          verifier.verify(withKid(base, `storm-${c}-${i}-${Math.random().toString(36).slice(2)}`)),
        );
        for (const outcome of await Promise.allSettled(batch)) {
          const code = outcome.status === "fulfilled" ? "verified" : codeOf(outcome.reason);
          codes.set(code, (codes.get(code) ?? 0) + 1);
        }
        const due = started + ((c + 1) * stormSeconds * 1000) / chunks;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
      const seconds = (performance.now() - started) / 1000;
      const fetches = stormServer.requests;
      const allowed = Math.floor(seconds / cooldownSeconds) + 1;
      const outcome = [...codes].map(([code, n]) => `${n.toLocaleString("en-US")} ${code}`).join(", ");
      rows.push([
        `${(perChunk * chunks).toLocaleString("en-US")} tokens with random kids over ${seconds.toFixed(1)} s (cooldown ${cooldownSeconds} s)`,
        String(fetches),
        outcome,
        `${seconds.toFixed(1)} s`,
        `≤ ${allowed} (one per cooldown)`,
      ]);
      targets.push({
        target: "random-kid storm → at most one JWKS request per cooldown",
        measured: `${fetches} request(s) in ${seconds.toFixed(1)} s with a ${cooldownSeconds} s cooldown (≤ ${allowed} allowed)`,
        met: fetches <= allowed && (codes.get("verified") ?? 0) === 0,
      });
    } finally {
      await stormServer.close();
    }

    const body = [
      `gatepass's remote JWKS (\`jwksUri\` on a loopback endpoint answering in ${SERVER_DELAY_MS} ms), RS256,`,
      "token cache off. Requests: what the JWKS endpoint received during the test (the cold-start",
      "fetch before it is not counted).",
      "",
      markdownTable(
        [
          { title: "scenario" },
          { title: "JWKS requests", align: "right" },
          { title: "outcome" },
          { title: "duration", align: "right" },
          { title: "expected" },
        ],
        rows,
      ),
    ].join("\n");
    return { title: this.title, body, targets };
  },
};
