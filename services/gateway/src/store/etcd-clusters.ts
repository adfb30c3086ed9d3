import type { EtcdKeys } from './etcd-keys.ts'
import { absent, del, type EtcdKv, type Kv, noneUnder, put, unchanged } from './etcd-kv.ts'
import type { StoredCluster, UpsertOutcome } from './store.ts'

interface ClusterDoc extends Omit<StoredCluster, 'agent_token_sealed'> {
  /** The sealed token, base64: sealed before it reaches the store, never in clear. */
  agent_token_sealed: string
}

export function clusterFromKv(kv: Kv): StoredCluster {
  const doc = JSON.parse(kv.value.toString('utf8')) as ClusterDoc
  return { ...doc, agent_token_sealed: new Uint8Array(Buffer.from(doc.agent_token_sealed, 'base64')) }
}

const clusterDoc = (c: StoredCluster): string =>
  JSON.stringify({ ...c, agent_token_sealed: Buffer.from(c.agent_token_sealed).toString('base64') })

/** The id of an unfinished handshake that uses the cluster (as primary or secondary), if any. */
async function usedBy(kv: EtcdKv, keys: EtcdKeys, name: string): Promise<string | undefined> {
  const asSecondary = await kv.get(keys.unfinishedSecondary(name))
  if (asSecondary !== undefined) return asSecondary.value.toString('utf8')
  return (await kv.list(keys.unfinishedOfPrimary(name)))[0]?.value.toString('utf8')
}

/** Comparisons that hold while no unfinished handshake uses the cluster. */
const unused = (keys: EtcdKeys, name: string) => [
  absent(keys.unfinishedSecondary(name)),
  noneUnder(keys.unfinishedOfPrimary(name)),
]

/**
 * Registers or replaces a cluster. While an unfinished handshake uses it, only its agent URL and token may change;
 * a role change commits only if, at that revision, still none does.
 */
export async function upsertCluster(kv: EtcdKv, keys: EtcdKeys, c: StoredCluster): Promise<UpsertOutcome> {
  const key = keys.cluster(c.name)
  for (;;) {
    const current = await kv.get(key)
    const existing = current === undefined ? undefined : clusterFromKv(current)
    const roleChanges = existing !== undefined && existing.role !== c.role
    if (roleChanges) {
      const handshake = await usedBy(kv, keys, c.name)
      if (handshake !== undefined) return { kind: 'in_use', handshake }
    }
    const cluster = { ...c, created_at: existing?.created_at ?? c.created_at }
    const guards = [unchanged(key, current), ...(roleChanges ? unused(keys, c.name) : [])]
    if (await kv.txn(guards, [put(key, clusterDoc(cluster))])) {
      return { kind: existing === undefined ? 'created' : 'replaced', cluster }
    }
  }
}

/** Deletes a cluster no unfinished handshake uses, checked in the same transaction. */
export async function deleteCluster(
  kv: EtcdKv,
  keys: EtcdKeys,
  name: string,
): Promise<'deleted' | 'not_found' | 'in_use'> {
  const key = keys.cluster(name)
  for (;;) {
    if ((await usedBy(kv, keys, name)) !== undefined) return 'in_use'
    const current = await kv.get(key)
    if (current === undefined) return 'not_found'
    if (await kv.txn([unchanged(key, current), ...unused(keys, name)], [del(key)])) return 'deleted'
  }
}
