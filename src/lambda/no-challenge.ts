/**
 * What `gatepass bundle --config` puts in place of `lambda/challenge.ts` when the embedded
 * configuration has no `resource`: the bundle then carries none of its code (the configuration it
 * embeds is the one that decided so, validated at bundle time). Typed against the module it replaces.
 */
import type { resourceChallenge as ResourceChallengeFactory } from "./challenge.js";

export const resourceChallenge: typeof ResourceChallengeFactory = () => undefined;
