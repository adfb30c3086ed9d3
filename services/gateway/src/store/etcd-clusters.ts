import type { ClusterRole } from '../clusters/clusters.schemas.ts'
import { clusterHolder, unheld } from './etcd-holders.ts'
import type { EtcdKeys } from './etcd-keys.ts'
import { type Compare, del, type EtcdKv, type Kv, put, unchanged } from './etcd-kv.ts'
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

/**
 * Registers or replaces a cluster. While an unfinished handshake or operation holds it, only its agent URL and token may change;
 * a role change commits only if, at that revision, still none does.
 */
export async function upsertCluster(kv: EtcdKv, keys: EtcdKeys, c: StoredCluster): Promise<UpsertOutcome> {
  const key = keys.cluster(c.name)
  for (;;) {
    const current = await kv.get(key)
    const existing = current === undefined ? undefined : clusterFromKv(current)
    const roleChanges = existing !== undefined && existing.role !== c.role
    if (roleChanges) {
      const holder = await clusterHolder(kv, keys, c.name)
      if (holder?.kind === 'handshake') return { kind: 'in_use', handshake: holder.id }
      if (holder !== undefined) return { kind: 'in_use', handshake: holder.id, holder }
    }
    const cluster = { ...c, created_at: existing?.created_at ?? c.created_at }
    const guards = [unchanged(key, current), ...(roleChanges ? unheld(keys, c.name) : [])]
    if (await kv.txn(guards, [put(key, clusterDoc(cluster))])) {
      return { kind: existing === undefined ? 'created' : 'replaced', cluster }
    }
  }
}

/** Deletes a cluster no unfinished handshake or operation holds, checked in the same transaction. */
export async function deleteCluster(
  kv: EtcdKv,
  keys: EtcdKeys,
  name: string,
): Promise<'deleted' | 'not_found' | 'in_use'> {
  const key = keys.cluster(name)
  for (;;) {
    if ((await clusterHolder(kv, keys, name)) !== undefined) return 'in_use'
    const current = await kv.get(key)
    if (current === undefined) return 'not_found'
    if (await kv.txn([unchanged(key, current), ...unheld(keys, name)], [del(key)])) return 'deleted'
  }
}

/** Records a cluster's role as Vault reports it, whoever holds the cluster (its holder is the one that writes it). */
/** `guard`: comparisons the write must also pass (an operation's lease), read anew for each attempt. */
export async function setClusterRole(
  kv: EtcdKv,
  keys: EtcdKeys,
  name: string,
  role: ClusterRole,
  at: string,
  guard: () => Promise<Compare[]> = async () => [],
) {
  const key = keys.cluster(name)
  for (;;) {
    const held = await guard()
    const current = await kv.get(key)
    if (current === undefined) return
    const cluster = { ...clusterFromKv(current), role, updated_at: at }
    if (await kv.txn([...held, unchanged(key, current)], [put(key, clusterDoc(cluster))])) return
  }
}
