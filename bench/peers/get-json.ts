/** GET a JSON document over `node:http` (the benchmark's JWKS endpoint is plain HTTP on loopback). */
import { get } from "node:http";

export function getJson(uri: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    get(uri, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch (error) {
          reject(error);
        }
      });
      response.on("error", reject);
    }).on("error", reject);
  });
}
