import { isCodedError, scrubCodedError } from '../../errors.ts'
import { VaultErrors } from '../../vault/vault-errors.ts'
import { redactToken } from '../agent-inputs.ts'
import { drTokenRefusal } from '../dr-token-refusal.ts'
import { SecondaryErrors } from '../secondary-errors.ts'
import { GUARD_STATUS_MAX_AGE_MS, type VaultAgent } from '../vault-agent.ts'
import type { CeremonyProgress } from './ceremony.schemas.ts'

const ATTEMPT = 'sys/replication/dr/secondary/generate-operation-token/attempt'
const UPDATE = 'sys/replication/dr/secondary/generate-operation-token/update'

/** token = base64 (standard, unpadded) of the encoded token XOR the OTP (fact sheet 2.5). */
export function decodeWithOtp(encoded: string, otp: string): string {
  const raw = Buffer.from(encoded, 'base64')
  if (raw.length !== otp.length) throw SecondaryErrors.ceremonyFailed('The encoded token and the OTP differ in length.')
  return String.fromCharCode(...raw.map((byte, i) => byte ^ otp.charCodeAt(i)))
}

const num = (v: unknown) => (typeof v === 'number' ? v : 0)

/**
 * The DR operation token ceremony on this DR secondary (generate-operation-token, fact sheet 2.5), driven for the
 * operator: Vault makes the OTP, which stays in this process's memory (never answered or logged) until the last share
 * decodes the token, which is answered once. Key shares pass through to Vault and are never echoed or kept.
 */
export function createCeremonyService(agent: VaultAgent) {
  /** The OTP of each attempt this process started, by nonce. */
  const otps = new Map<string, string>()

  /** The ceremony's calls go without a token (the paths are unauthenticated): a 403 means this Vault wants one. */
  function refusedAsUnauthenticated(err: unknown): void {
    if (isCodedError(err) && drTokenRefusal(err) === 'token') {
      throw SecondaryErrors.ceremonyAuthRequired(
        "The DR secondary refused the ceremony's unauthenticated call (403 permission denied), or something between the agent and it did.",
        err.upstream === undefined ? {} : { upstream: err.upstream },
      )
    }
  }

  async function unauthenticated<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (err) {
      refusedAsUnauthenticated(err)
      throw err
    }
  }

  /** The ceremony runs on a DR secondary: another role is the caller's mistake (409), not Vault failing (502). */
  async function onDrSecondary(): Promise<void> {
    const status = await agent.status(GUARD_STATUS_MAX_AGE_MS)
    const mode = status.vault.reachable ? status.replication?.mode : undefined
    if (mode !== undefined && mode !== 'secondary') {
      throw SecondaryErrors.notDrSecondary(
        `The cluster's DR mode is ${mode}: the key-share ceremony runs on a DR secondary.`,
        {
          fix: 'Run the ceremony through the agent next to the DR secondary that needs the token (vault-dr dr-token ceremony <secondary>).',
        },
      )
    }
  }

  return {
    async start(): Promise<CeremonyProgress> {
      await onDrSecondary()
      const current = (await unauthenticated(() => agent.vault.read(ATTEMPT, { token: null }))).body as
        | Record<string, unknown>
        | undefined
      if (current?.started === true) {
        throw SecondaryErrors.ceremonyInProgress(
          `An attempt (nonce ${String(current.nonce)}) is in progress, ${num(current.progress)} of ${num(current.required)} shares given.`,
        )
      }
      const res = await unauthenticated(() => agent.vault.write(ATTEMPT, {}, { token: null }))
      const body = (res.body ?? {}) as Record<string, unknown>
      const nonce = String(body.nonce ?? '')
      const otp = String(body.otp ?? '')
      if (nonce === '' || otp === '') {
        throw SecondaryErrors.ceremonyFailed('Vault started the attempt without a nonce or an OTP.')
      }
      otps.set(nonce, otp)
      return { nonce, progress: num(body.progress), required: num(body.required), complete: false }
    },

    async share(nonce: string, key: string): Promise<CeremonyProgress> {
      const otp = otps.get(nonce)
      if (otp === undefined) {
        throw SecondaryErrors.ceremonyUnknown(`This agent did not start an attempt with nonce ${nonce}.`)
      }
      const res = await agent.vault.write(UPDATE, { key, nonce }, { token: null }).catch((caught: unknown) => {
        if (!isCodedError(caught)) throw caught
        // The key share went to Vault in the body: whatever Vault says back is scrubbed of it.
        const err = scrubCodedError(caught, (text) => redactToken(text, key))
        refusedAsUnauthenticated(err)
        if (isCodedError(err, VaultErrors.rejected.code)) {
          const aborted = (err.upstream?.errors ?? []).some((e) => e.includes('aborted'))
          if (aborted) otps.delete(nonce)
          throw SecondaryErrors.ceremonyShareRejected(
            aborted ? 'Vault could not verify the key shares: the attempt ended.' : 'Vault refused the key share.',
            err.upstream === undefined ? {} : { upstream: err.upstream },
          )
        }
        throw err
      })
      const body = (res.body ?? {}) as Record<string, unknown>
      const progress = { nonce, progress: num(body.progress), required: num(body.required) }
      if (body.complete !== true) return { ...progress, complete: false }
      otps.delete(nonce)
      return { ...progress, complete: true, token: decodeWithOtp(String(body.encoded_token ?? ''), otp) }
    },

    async cancel(): Promise<{ cancelled: boolean }> {
      await onDrSecondary()
      const current = (await unauthenticated(() => agent.vault.read(ATTEMPT, { token: null }))).body as
        | Record<string, unknown>
        | undefined
      otps.clear()
      if (current?.started !== true) return { cancelled: false }
      await unauthenticated(() => agent.vault.call('DELETE', ATTEMPT, { token: null }))
      return { cancelled: true }
    },
  }
}
export type CeremonyService = ReturnType<typeof createCeremonyService>
