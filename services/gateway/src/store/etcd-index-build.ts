import type { EtcdKeys } from './etcd-keys.ts'
import { type EtcdKv, put } from './etcd-kv.ts'

/**
 * An index's one-time build for stores written before it existed: `build` runs at the first call in a process, unless
 * the meta key `name` says a gateway built it already, and the key is written once it went through. A failed build
 * is tried again at the next call.
 */
export function indexBuild(kv: EtcdKv, keys: EtcdKeys, name: string, build: () => Promise<void>): () => Promise<void> {
  let built: Promise<void> | undefined
  const run = async () => {
    if ((await kv.get(keys.meta(name))) !== undefined) return
    await build()
    await kv.txn([], [put(keys.meta(name), 'v1')])
  }
  return () => {
    built ??= run().catch((err: unknown) => {
      built = undefined
      throw err
    })
    return built
  }
}
