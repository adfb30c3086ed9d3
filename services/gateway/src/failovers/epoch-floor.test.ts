import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/helpers/gateway.ts'
import { GatewayErrors } from '../gateway-errors.ts'
import { SqliteStore } from '../store/sqlite-store.ts'
import { callFenced, MAX_EPOCH_RAISE, raiseEpochAbove, underEpochFloor } from './epoch-floor.ts'

const stores: Array<{ cleanup(): void }> = []
afterEach(() => {
  for (const dir of stores.splice(0)) dir.cleanup()
})

/** A SQLite store whose fencing epoch is `epoch` (reached by role changes), and a second gateway's on the same file. */
async function counter(epoch: number) {
  const dir = tempDir()
  stores.push(dir)
  const path = join(dir.dir, 'gateway.sqlite')
  const store = new SqliteStore(path)
  for (let i = 0; i < epoch; i++) await store.bumpEpoch()
  return Object.assign(store, { other: () => new SqliteStore(path) })
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
  it('raises it just above for a caller holding the current epoch, and not for one from before a role change', async () => {
    const store = await counter(3)
    expect(await raiseEpochAbove(store, 3, 7)).toBe(8)
    expect(await store.currentEpoch()).toBe(8)
    // Another caller that took epoch 3 acts under the raised epoch; one from before the role change to 3 does not.
    expect(await raiseEpochAbove(store, 3, 8)).toBe(8)
    expect(await raiseEpochAbove(store, 2, 8)).toBeUndefined()
    expect(await store.currentEpoch()).toBe(8)
  })

  it(`refuses to raise it more than ${MAX_EPOCH_RAISE}, naming both epochs`, async () => {
    const store = await counter(0)
    await expect(raiseEpochAbove(store, 0, MAX_EPOCH_RAISE + 1)).rejects.toMatchObject({
      code: 'GATEWAY_ERR_EPOCH_BEHIND',
      message: expect.stringContaining(`seen fencing epoch ${MAX_EPOCH_RAISE + 1}, the store's counter is at 0`),
    })
    expect(await store.currentEpoch()).toBe(0)
  })
})

describe('a call under the epoch floor', () => {
  it('is made again above the agent once the store is found behind it (a replaced or restored store)', async () => {
    const store = await counter(0)
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
    expect(await store.currentEpoch()).toBe(6)
  })

  it('lets every call under way when the store was found behind go on, on two gateways, with one raise', async () => {
    // Thirty-two handshakes took epoch 0 from a restored store; their agent had seen 48 before the restore.
    const store = await counter(0)
    const other = store.other()
    const agent = agentAt(48)
    const answers = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        underEpochFloor(
          i % 2 === 0 ? store : other,
          0,
          (e) => agent.call(e),
          async () => agent.seen,
        ),
      ),
    )
    expect(answers).toEqual(Array(32).fill('done at 49'))
    expect(await store.currentEpoch()).toBe(49)
  })

  it('is refused as stale, nothing raised, when a role change bumped the store since the caller took its epoch', async () => {
    const store = await counter(4)
    const agent = agentAt(4)
    const err = await underEpochFloor(
      store,
      3,
      (e) => agent.call(e),
      async () => agent.seen,
    ).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'GATEWAY_ERR_AGENT_REJECTED', upstream: { code: 'AGENT_ERR_STALE_EPOCH' } })
    expect(agent.calls).toEqual([3])
    expect(await store.currentEpoch()).toBe(4)
  })

  it('is refused as stale after a raise, when a role change came between the caller taking its epoch and the raise', async () => {
    const store = await counter(3)
    const agent = agentAt(9)
    // A caller at 3, then a role change (4), then a caller at 4 finds the agent ahead and raises.
    await store.bumpEpoch()
    expect(
      await underEpochFloor(
        store,
        4,
        (e) => agent.call(e),
        async () => agent.seen,
      ),
    ).toBe('done at 10')
    const err = await underEpochFloor(
      store,
      3,
      (e) => agent.call(e),
      async () => agent.seen,
    ).catch((e: unknown) => e)
    expect(err).toMatchObject({ upstream: { code: 'AGENT_ERR_STALE_EPOCH' } })
    expect(await store.currentEpoch()).toBe(10)
  })

  it("passes any other error through, and a stale refusal when the agent's epoch cannot be read", async () => {
    const store = await counter(0)
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
    expect(await store.currentEpoch()).toBe(0)
  })
})

describe('a fenced call of a caller without an epoch of its own (callFenced)', () => {
  const statusOf = (agent: { seen: number }) => ({ status: async () => ({ epoch: agent.seen }) as never })

  it('is made under the store epoch read just before, and again once when a role change came in between', async () => {
    const store = await counter(3)
    const agent = agentAt(3)
    expect(await callFenced(store, statusOf(agent), (e) => agent.call(e))).toBe('done at 3')
    // A role change lands between this caller's read (3) and its call: the agent has seen 4 from it.
    const racing = {
      seen: 3,
      calls: [] as number[],
      async call(epoch: number) {
        if (racing.calls.push(epoch) === 1) {
          await store.bumpEpoch()
          agent.seen = 4
        }
        return agent.call(epoch)
      },
    }
    expect(await callFenced(store, statusOf(agent), (e) => racing.call(e))).toBe('done at 4')
    expect(racing.calls).toEqual([3, 4])
    expect(await store.currentEpoch()).toBe(4)
  })
})
