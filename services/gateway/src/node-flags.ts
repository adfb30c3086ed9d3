/**
 * The Node flags the gateway runs with: `node --max-semi-space-size=4 services/gateway/dist/server.js`.
 *
 * Many handshakes at once keep many requests in flight, so much of what the gateway allocates lives just long enough
 * to outlive a scavenge of V8's default young generation (up to 2 x 32 MB on 64-bit): it is promoted, and the old
 * generation, collected rarely, grows with it. 4 MB semi-spaces keep the gateway's memory bounded under a fleet's
 * load for a few percent more CPU (see the README's Performance section).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4']
