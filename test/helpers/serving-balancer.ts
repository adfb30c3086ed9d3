import { setTimeout as sleep } from 'node:timers/promises'

/** One cluster behind the balancer: its Vault API, and its agent's URL (asked anew: an agent restarted moves). */
export interface BalancedCluster {
  name: string
  apiUrl: string
  agentUrl: () => string
}

/**
 * A load balancer's routing, as a balancer in front of Vault's API does it, in the test's process: each cluster's
 * agent checked at `GET /serving` every `checkEveryMs` (up on a 200, down on anything else or no answer within
 * 500 ms), every cluster down until its first check passes, and each request sent to the first cluster up.
 */
export function startServingBalancer(clusters: BalancedCluster[], checkEveryMs = 100) {
  const up = new Map(clusters.map((c) => [c.name, false]))
  const reasons = new Map<string, string>()
  /** Every change of a cluster's state or of the reason its agent gave. */
  const changes: Array<{ cluster: string; up: boolean; reason: string; at: number }> = []
  let running = true
  const check = async (c: BalancedCluster) => {
    const res = await fetch(`${c.agentUrl()}/serving`, { signal: AbortSignal.timeout(500) }).catch(() => undefined)
    const body = (await res?.json().catch(() => undefined)) as { reason?: string } | undefined
    const now = res?.status === 200
    const reason = body?.reason ?? 'no answer'
    if (now !== up.get(c.name) || reason !== reasons.get(c.name)) {
      changes.push({ cluster: c.name, up: now, reason, at: performance.now() })
    }
    up.set(c.name, now)
    reasons.set(c.name, reason)
  }
  const loop = (async () => {
    while (running) {
      await Promise.all(clusters.map(check))
      await sleep(checkEveryMs)
    }
  })()
  return {
    changes,
    /** The cluster requests go to now, or undefined when none is up (the balancer answers 503 itself). */
    target(): BalancedCluster | undefined {
      return clusters.find((c) => up.get(c.name) === true)
    },
    async stop() {
      running = false
      await loop
    },
  }
}

export type ServingBalancer = ReturnType<typeof startServingBalancer>
