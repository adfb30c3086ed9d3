import { describe, expect, it } from 'vitest'
import { ISSUE_CLAIM_MS, issueOnce } from './issue-claim.ts'

/** A store's meta entries in memory; `lostAnswers` writes are applied but answered false (a request sent twice). */
function memoryMeta(lostAnswers = 0) {
  const meta = new Map<string, string>()
  let lose = lostAnswers
  return {
    meta,
    async getMeta(key: string) {
      return meta.get(key)
    },
    async replaceMetaIf(key: string, expected: string | undefined, value: string | null) {
      if (meta.get(key) !== expected) return false
      if (value === null) meta.delete(key)
      else meta.set(key, value)
      if (lose > 0) {
        lose--
        return false
      }
      return true
    },
  }
}

/** dc1's token through the claim: a new one counted in `issued`, or the one `theirs` says another gateway stored. */
async function issueCounted(store: ReturnType<typeof memoryMeta>, theirs: () => string | undefined) {
  let issued = 0
  const token = await issueOnce(
    store,
    'dc1',
    Date.now,
    async () => `token-${++issued}`,
    async () => theirs(),
  )
  return { token, issued }
}

describe('the claim to issue a primary DR operation token', () => {
  it("is taken once a write whose answer was lost is found to be its own, not waited out as another gateway's", async () => {
    const store = memoryMeta(1)
    const { token, issued } = await issueCounted(store, () => undefined)
    expect(token).toBe('token-1')
    expect(issued).toBe(1)
    // Given back after the issue (waited out as another's, the call would have held on for ISSUE_CLAIM_MS).
    expect(store.meta.size).toBe(0)
  })

  it("waits for another gateway's claim and takes the token it stored", async () => {
    const store = memoryMeta()
    store.meta.set('dr-token-issuing/dc1', JSON.stringify({ by: 'another', until: Date.now() + ISSUE_CLAIM_MS }))
    let stored: string | undefined
    setTimeout(() => {
      stored = 'their-token'
      store.meta.delete('dr-token-issuing/dc1')
    }, 50)
    const { token, issued } = await issueCounted(store, () => stored)
    expect(token).toBe('their-token')
    expect(issued).toBe(0)
  })
})
