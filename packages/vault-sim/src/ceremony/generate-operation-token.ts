import { randomUUID } from 'node:crypto'
import type { ClusterContext } from '../context.ts'
import { newServiceTokenId, randomBase62 } from '../options.ts'
import { badRequest } from '../vault-error.ts'
import { encodeWithOtp } from './otp.ts'
import { hashShare, parseShare, sealConfig } from './seal-shares.ts'

// The DR operation token ceremony on a DR secondary (fact sheet 2.5): Vault's generate-root handler with the DR
// strategy, so its errors say "root generation". Answers are raw JSON objects, not Vault's envelope.

/** `hvs.` + 24: the OTP is as long as the token it masks. */
const OTP_LENGTH = 28

export interface CeremonyStatus {
  nonce: string
  started: boolean
  progress: number
  required: number
  complete: boolean
  encoded_token: string
  encoded_root_token: string
  pgp_fingerprint: string
  otp: string
  otp_length: number
}

export function attemptStatus(ctx: ClusterContext): CeremonyStatus {
  const attempt = ctx.ceremony
  return status(ctx, {
    nonce: attempt?.nonce ?? '',
    started: attempt !== undefined,
    progress: attempt?.given.length ?? 0,
  })
}

/** POST/PUT attempt: `{}` (Vault makes the OTP and shows it this once) or `{"otp"}`; one attempt at a time. */
export function startAttempt(ctx: ClusterContext, body: Record<string, unknown>): CeremonyStatus {
  if (ctx.ceremony) throw badRequest('root generation already in progress')
  if (typeof body.pgp_key === 'string' && body.pgp_key !== '') throw badRequest('pgp_key is not emulated by vault-sim')
  const given = typeof body.otp === 'string' ? body.otp : ''
  if (given !== '' && given.length !== OTP_LENGTH) throw badRequest('OTP string is wrong length')
  const otp = given || randomBase62(OTP_LENGTH)
  ctx.ceremony = { nonce: randomUUID(), otp, given: [], validShares: 0 }
  ctx.log('ceremony: DR operation token generation started')
  return { ...attemptStatus(ctx), otp: given === '' ? otp : '' }
}

export function cancelAttempt(ctx: ClusterContext): void {
  if (ctx.ceremony) ctx.log('ceremony: DR operation token generation cancelled')
  ctx.ceremony = undefined
}

/** POST/PUT update `{key, nonce}`: the last share completes it with `encoded_token` (the token XOR the OTP). */
export function provideShare(ctx: ClusterContext, body: Record<string, unknown>): CeremonyStatus {
  // Vault's HTTP handler reads the key before the core looks for an attempt and its nonce.
  const keyText = typeof body.key === 'string' ? body.key : ''
  if (keyText === '') throw badRequest("'key' must be specified in request body as JSON")
  const share = parseShare(keyText)
  if (!share) throw badRequest("'key' must be a valid hex or base64 string")
  const attempt = ctx.ceremony
  if (!attempt) throw badRequest('no root generation in progress')
  if (body.nonce !== attempt.nonce) {
    throw badRequest(`incorrect nonce supplied; nonce for this root generation operation is "${attempt.nonce}"`)
  }
  const hash = hashShare(share)
  if (attempt.given.includes(hash))
    throw badRequest('given key has already been provided during this generation operation')
  const config = sealConfig(ctx.storage)
  attempt.given.push(hash)
  if (config.hashes.includes(hash)) attempt.validShares += 1
  if (attempt.given.length < config.threshold) return attemptStatus(ctx)

  ctx.ceremony = undefined
  if (attempt.validShares < config.threshold) {
    ctx.log('ceremony: DR operation token generation aborted (wrong key shares)')
    throw badRequest('root generation aborted: unable to verify the unseal key shares')
  }
  const token = newServiceTokenId()
  ctx.operationTokens.add(token)
  ctx.log('ceremony: DR operation token generated')
  return {
    ...status(ctx, { nonce: attempt.nonce, started: true, progress: config.threshold }),
    complete: true,
    encoded_token: encodeWithOtp(token, attempt.otp),
  }
}

function status(ctx: ClusterContext, parts: Pick<CeremonyStatus, 'nonce' | 'started' | 'progress'>): CeremonyStatus {
  return {
    ...parts,
    required: sealConfig(ctx.storage).threshold,
    complete: false,
    encoded_token: '',
    encoded_root_token: '',
    pgp_fingerprint: '',
    otp: '',
    otp_length: OTP_LENGTH,
  }
}
