import { createPublicKey, generateKeyPairSync, verify } from "node:crypto";
const which = process.argv[2];
const good = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" });
const inf = Buffer.concat([Buffer.from("3019", "hex"), good.subarray(2, 23), Buffer.from("030200", "hex"), Buffer.from([0])]);
const k = createPublicKey({ key: inf, format: "der", type: "spki" });
console.log("imported", k.type);
if (which === "type") console.log(k.asymmetricKeyType);
if (which === "jwk") { try { console.log(k.export({ format: "jwk" })); } catch (e) { console.log("jwk throws", (e as Error).message); } }
if (which === "spki") console.log(k.export({ type: "spki", format: "der" }).toString("hex"));
if (which === "verify") { try { console.log(verify("sha256", Buffer.from("x"), { key: k, dsaEncoding: "ieee-p1363" }, Buffer.alloc(64, 1))); } catch (e) { console.log("verify throws", (e as Error).message); } }
if (which === "pem") { const pem = `-----BEGIN PUBLIC KEY-----\n${inf.toString("base64")}\n-----END PUBLIC KEY-----\n`; console.log(pem); }
