import { describe, expect, it } from 'vitest'
import type { CodedError } from '../../errors.ts'
import { toProblem } from '../../server/error-handler.ts'
import { VaultErrors } from '../../vault/vault-errors.ts'
import type { VaultAgent } from '../vault-agent.ts'
import { createSecondaryToken } from './secondary-token.service.ts'

/** An agent whose Vault refuses the mint with a 400, and whose status read after it answers `status` (or fails). */
function refusingAgent(status: 'primary' | 'unreadable') {
  const refusal = VaultErrors.rejected('sys/replication/dr/primary/secondary-token: Vault answered 400: bad input', {
    upstream: { service: 'vault', status: 400, errors: ['bad input'] },
  })
  const replication = { mode: 'primary', known_secondaries: [], secondaries: [] }
  return {
    vault: { write: async () => Promise.reject(refusal) },
    invalidateStatus: () => {},
    status: async () => {
      if (status === 'unreadable') throw VaultErrors.timeout('no answer')
      return { replication }
    },
  } as unknown as VaultAgent
}

const mint = (agent: VaultAgent) =>
  createSecondaryToken(agent, 'dc2', '10m', { secondaryPublicKey: 'k'.repeat(32) }).then(
    () => undefined,
    (err: CodedError) => err,
  )

describe("a mint with a secondary's public key that Vault refuses with a 400", () => {
  it("is the caller's key, named as the field, when the cluster reads as the DR primary just after", async () => {
    const err = await mint(refusingAgent('primary'))
    expect(err).toMatchObject({ code: 'CORE_ERR_VALIDATION', statusCode: 400 })
    expect(err === undefined ? undefined : toProblem(err, 'req-1')).toMatchObject({
      status: 400,
      errors: [{ path: 'body/secondary_public_key', message: expect.stringContaining('generateDrPublicKey') }],
      upstream: { service: 'vault', status: 400 },
    })
  })

  it("stays Vault's refusal when the cluster's status cannot be read to tell why", async () => {
    expect(await mint(refusingAgent('unreadable'))).toMatchObject({ code: 'VAULT_ERR_REJECTED', statusCode: 502 })
  })
})
