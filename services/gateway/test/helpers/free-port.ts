import { freeStablePort } from '@vault-dr/vault-sim'

/** Every port this process handed out. */
const handedOut = new Set<number>()

/**
 * A free port on `host` for a child process that must be told its port in advance, never one handed out before in
 * this process; outside the kernel's ephemeral range, so a service killed and restarted on it finds it free again.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = await freeStablePort(host)
    if (!handedOut.has(port)) {
      handedOut.add(port)
      return port
    }
  }
}
