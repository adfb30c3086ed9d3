/**
 * The Node flags the gateway runs with:
 * `node --max-semi-space-size=4 --heap-growing-percent=25 services/gateway/dist/server.js`.
 *
 * Many handshakes at once keep many requests in flight, so much of what the gateway allocates lives just long enough
 * to outlive a scavenge of V8's default young generation (up to 2 x 32 MB on 64-bit) and is promoted; after each full
 * collection V8 then lets the old generation grow up to several times what survived. 4 MB semi-spaces and a heap
 * that grows by 25 % at a time kept the gateway driving 1000 handshakes at about 210 MB instead of 530 MB, for about
 * the same CPU (--optimize-for-size got 198 MB but cost 40 % more CPU). Measured with `npm run bench` (fleet).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=25']
