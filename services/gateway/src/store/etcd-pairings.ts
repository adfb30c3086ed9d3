import type { EtcdKeys } from './etcd-keys.ts'
import { type Compare, type EtcdKv, put, unchanged } from './etcd-kv.ts'
import type { HandshakeRecord, PairedSecondary } from './store.ts'

interface PairingDoc extends PairedSecondary {
  at: string
}

const parse = (value: Buffer) => JSON.parse(value.toString('utf8')) as PairingDoc

/**
 * Writes a secondary's pairing (`pairings/<secondary>`) unless a newer one is recorded, in a transaction that
 * compares the key as read (retried on a concurrent change): recording the same one again changes nothing.
 */
/** `guard`: comparisons the write must also pass (an operation's lease), read anew for each attempt. */
export async function recordPairing(
  kv: EtcdKv,
  keys: EtcdKeys,
  p: PairedSecondary,
  at: string,
  guard: () => Promise<Compare[]> = async () => [],
): Promise<void> {
  const key = keys.pairing(p.secondary)
  const doc = JSON.stringify({ secondary: p.secondary, primary: p.primary, secondary_id: p.secondary_id, at })
  for (;;) {
    const held = await guard()
    const current = await kv.get(key)
    if (current !== undefined && parse(current.value).at > at) return
    if (await kv.txn([...held, unchanged(key, current)], [put(key, doc)])) return
  }
}

/**
 * Each secondary with the latest of its last succeeded handshake (by finished_at) and its recorded pairing (by at);
 * a tie goes to the pairing.
 */
export async function pairedSecondaries(
  kv: EtcdKv,
  keys: EtcdKeys,
  succeeded: HandshakeRecord[],
): Promise<PairedSecondary[]> {
  const latest = new Map<string, PairingDoc>()
  for (const h of succeeded) {
    if (h.state !== 'succeeded') continue
    const seen = latest.get(h.secondary)
    const at = h.finished_at ?? ''
    if (seen === undefined || at > seen.at) {
      latest.set(h.secondary, { secondary: h.secondary, primary: h.primary, secondary_id: h.secondary_id, at })
    }
  }
  for (const found of await kv.list(keys.pairings())) {
    const p = parse(found.value)
    const seen = latest.get(p.secondary)
    if (seen === undefined || p.at >= seen.at) latest.set(p.secondary, p)
  }
  return [...latest.values()]
    .map(({ secondary, primary, secondary_id }) => ({ secondary, primary, secondary_id }))
    .sort((a, b) => (a.secondary < b.secondary ? -1 : 1))
}
