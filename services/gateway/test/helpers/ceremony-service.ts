import type { AgentClients } from '../../src/agents/agent-clients.ts'
import type { ClustersService } from '../../src/clusters/clusters.service.ts'
import { createCeremonyService } from '../../src/dr-operation-tokens/ceremony.service.ts'
import type { SecretBox } from '../../src/store/secret-box.ts'
import type { Store, StoredCluster } from '../../src/store/store.ts'

/** The ceremony service of pair secondary dc2, over `store` and `agent` (dc2's agent, as fakes). */
export function ceremonyServiceOf(store: Store, agent: object, box: SecretBox) {
  return createCeremonyService({
    store,
    box,
    agents: { secondary: () => agent } as unknown as AgentClients,
    clusters: {
      targetOf: () => ({ cluster: 'dc2', url: 'http://127.0.0.1:1', token: 't' }),
    } as unknown as ClustersService,
    now: Date.now,
    secondaryOf: async () => ({ name: 'dc2' }) as StoredCluster,
  })
}
