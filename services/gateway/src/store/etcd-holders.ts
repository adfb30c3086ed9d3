import type { EtcdKeys } from './etcd-keys.ts'
import { absent, type Compare, type EtcdKv, noneUnder } from './etcd-kv.ts'
import type { ClusterHolder, OperationKindName, OperationState } from './store.ts'

/** The value of a cluster lock key: the unfinished operation that holds it. */
export interface LockValue {
  kind: OperationKindName
  id: string
}

/** The unfinished operation that holds a cluster, if any. */
export async function operationHolder(kv: EtcdKv, keys: EtcdKeys, name: string): Promise<ClusterHolder | undefined> {
  const lock = await kv.get(keys.clusterLock(name))
  if (lock === undefined) return undefined
  const { kind, id } = JSON.parse(lock.value.toString('utf8')) as LockValue
  const op = await kv.get(keys.operation(id))
  const state =
    op === undefined ? 'pending' : (JSON.parse(op.value.toString('utf8')) as { state: OperationState }).state
  return { kind, id, state }
}

/** The unfinished handshake that uses a cluster as primary or secondary, if any. */
export async function handshakeHolder(kv: EtcdKv, keys: EtcdKeys, name: string): Promise<ClusterHolder | undefined> {
  const asSecondary = await kv.get(keys.unfinishedSecondary(name))
  const id = asSecondary?.value.toString('utf8') ?? (await kv.list(keys.unfinishedOfPrimary(name)))[0]?.value.toString()
  if (id === undefined) return undefined
  const doc = await kv.get(keys.handshake(id))
  const state =
    doc === undefined ? 'pending' : (JSON.parse(doc.value.toString('utf8')) as { state: OperationState }).state
  return { kind: 'handshake', id, state }
}

/** What holds a cluster: an unfinished handshake first, else an unfinished operation. */
export async function clusterHolder(kv: EtcdKv, keys: EtcdKeys, name: string): Promise<ClusterHolder | undefined> {
  return (await handshakeHolder(kv, keys, name)) ?? (await operationHolder(kv, keys, name))
}

/** Comparisons that hold while no unfinished handshake uses the cluster. */
export const noHandshakeUses = (keys: EtcdKeys, name: string): Compare[] => [
  absent(keys.unfinishedSecondary(name)),
  noneUnder(keys.unfinishedOfPrimary(name)),
]

/** Comparisons that hold while nothing holds the cluster. */
export const unheld = (keys: EtcdKeys, name: string): Compare[] => [
  ...noHandshakeUses(keys, name),
  absent(keys.clusterLock(name)),
]
