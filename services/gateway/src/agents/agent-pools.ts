import { createHash } from 'node:crypto'
import type { ServiceClient } from '@vault-dr/core/service-client'
import type { AgentTarget } from './cluster-agent-client.ts'

interface Pool {
  key: string
  cluster: string
  client: ServiceClient<object>
  /** Calls running through it: a pool that is not its cluster's current one closes when this drops to 0. */
  calls: number
}

/** The connection pools of the agents, by cluster registration (name, URL and token). */
export function agentPools(make: (target: AgentTarget) => ServiceClient<object>) {
  const pools = new Map<string, Pool>()
  /** Each cluster's current registration, as a pool key. */
  const current = new Map<string, string>()
  const closing = new Set<Promise<void>>()
  function closeIfUnused(pool: Pool) {
    if (pool.calls > 0 || current.get(pool.cluster) === pool.key) return
    pools.delete(pool.key)
    const done: Promise<void> = pool.client
      .close()
      .catch(() => {})
      .finally(() => closing.delete(done))
    closing.add(done)
  }
  return {
    /** `target` is its cluster's registration now: the pool of the one before closes once unused. */
    adopt(target: AgentTarget): string {
      const key = `${target.cluster}|${target.url}|${createHash('sha256').update(target.token).digest('hex')}`
      const before = current.get(target.cluster)
      if (before !== key) {
        current.set(target.cluster, key)
        const replaced = before === undefined ? undefined : pools.get(before)
        if (replaced !== undefined) closeIfUnused(replaced)
      }
      return key
    },
    async run<T>(target: AgentTarget, key: string, fn: (client: ServiceClient<object>) => Promise<T>): Promise<T> {
      let pool = pools.get(key)
      if (pool === undefined) {
        pool = { key, cluster: target.cluster, client: make(target), calls: 0 }
        pools.set(key, pool)
      }
      pool.calls++
      try {
        return await fn(pool.client)
      } finally {
        pool.calls--
        closeIfUnused(pool)
      }
    },
    release(cluster: string): void {
      const key = current.get(cluster)
      current.delete(cluster)
      const pool = key === undefined ? undefined : pools.get(key)
      if (pool !== undefined) closeIfUnused(pool)
    },
    async close(): Promise<void> {
      current.clear()
      const all = [...pools.values()]
      pools.clear()
      await Promise.allSettled([...all.map((pool) => pool.client.close()), ...closing])
    },
  }
}
