import { describe, expect, it } from 'vitest'
import { GatewayErrors } from '../gateway-errors.ts'
import { MAX_EPOCH_RAISE, raiseEpochAbove, underEpochFloor } from './epoch-floor.ts'

function counter(epoch: number) {
  const store = {
    epoch,
    bumps: 0,
    currentEpoch: async () => store.epoch,
    bumpEpoch: async () => {
      store.bumps++
      return ++store.epoch
    },
  }
  return store
}

/** An agent that keeps the highest epoch it has seen and refuses a lower one, as the agents do. */
function agentAt(seen: number) {
  const agent = {
    seen,
    calls: [] as number[],
    async call(epoch: number) {
      agent.calls.push(epoch)
      if (epoch < agent.seen) {
        throw GatewayErrors.agentRejected(`agent answered 409 AGENT_ERR_STALE_EPOCH`, {
          upstream: { service: 'agent', status: 409, code: 'AGENT_ERR_STALE_EPOCH' },
        })
      }
      agent.seen = epoch
      return `done at ${epoch}`
    },
  }
  return agent
}

describe("raising the store's fencing epoch above an agent's", () => {
  it('raises it just above when the store is behind, and leaves it when it is not', async () => {
    const store = counter(3)
    expect(await raiseEpochAbove(store, 7)).toBe(8)
    expect(store.epoch).toBe(8)
    expect(await raiseEpochAbove(store, 8)).toBeUndefined()
    expect(await raiseEpochAbove(store, 2)).toBeUndefined()
    expect(store.epoch).toBe(8)
  })

  it(`refuses to raise it more than ${MAX_EPOCH_RAISE}, naming both epochs`, async () => {
    const store = counter(0)
    await expect(raiseEpochAbove(store, MAX_EPOCH_RAISE + 1)).rejects.toMatchObject({
      code: 'GATEWAY_ERR_EPOCH_BEHIND',
      message: expect.stringContaining(`seen fencing epoch ${MAX_EPOCH_RAISE + 1}, the store's counter is at 0`),
    })
    expect(store.bumps).toBe(0)
  })
})

describe('a call under the epoch floor', () => {
  it('is made again above the agent once the store is found behind it (a replaced or restored store)', async () => {
    const store = counter(0)
    const agent = agentAt(5)
    const raised: number[] = []
    const answer = await underEpochFloor(
      store,
      0,
      (e) => agent.call(e),
      async () => agent.seen,
      {
        onRaised: (e) => raised.push(e),
      },
    )
    expect(answer).toBe('done at 6')
    expect(agent.calls).toEqual([0, 6])
    expect(raised).toEqual([6])
    expect(store.epoch).toBe(6)
  })

  it('is refused as stale, nothing raised, when the store is at the epoch the agent has seen (a newer role change)', async () => {
    const store = counter(4)
    const agent = agentAt(4)
    const err = await underEpochFloor(
      store,
      3,
      (e) => agent.call(e),
      async () => agent.seen,
    ).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'GATEWAY_ERR_AGENT_REJECTED', upstream: { code: 'AGENT_ERR_STALE_EPOCH' } })
    expect(agent.calls).toEqual([3])
    expect(store.epoch).toBe(4)
  })

  it("passes any other error through, and a stale refusal when the agent's epoch cannot be read", async () => {
    const store = counter(0)
    const failing = async () => {
      throw GatewayErrors.agentTimeout('no answer')
    }
    await expect(underEpochFloor(store, 0, failing, async () => 9)).rejects.toMatchObject({
      code: 'GATEWAY_ERR_AGENT_TIMEOUT',
    })
    const agent = agentAt(5)
    const unread = async () => {
      throw new Error('status unreadable')
    }
    await expect(underEpochFloor(store, 0, (e) => agent.call(e), unread)).rejects.toMatchObject({
      upstream: { code: 'AGENT_ERR_STALE_EPOCH' },
    })
    expect(store.epoch).toBe(0)
  })
})
