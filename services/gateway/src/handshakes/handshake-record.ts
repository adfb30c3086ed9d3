import { createHash, randomUUID } from 'node:crypto'
import { canonicalJson } from '../operations/canonical-json.ts'
import { pendingStep } from '../operations/step.ts'
import type { HandshakeRecord, StoredCluster } from '../store/store.ts'
import { type CreateHandshakeBody, type Handshake, STEP_NAMES } from './handshakes.schemas.ts'

export function requestHash(body: CreateHandshakeBody): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex')
}

/** A new pending handshake with every step pending. */
export function newHandshake(
  body: CreateHandshakeBody,
  ctx: { secondary: StoredCluster; defaultTokenTtl: string; at: string; idempotencyKey: string | undefined },
): HandshakeRecord {
  return {
    id: randomUUID(),
    state: 'pending',
    primary: body.primary,
    secondary: body.secondary,
    secondary_id: body.secondary_id ?? ctx.secondary.name,
    options: {
      token_ttl: body.token_ttl ?? ctx.defaultTokenTtl,
      inspect: body.inspect,
      skip_checks: [...new Set(body.skip_checks)],
      allow_repoint: body.allow_repoint,
      primary_cluster_addr: body.primary_cluster_addr ?? null,
      primary_api_addr: body.primary_api_addr ?? null,
    },
    steps: STEP_NAMES.map(pendingStep),
    checks: [],
    token: null,
    error: null,
    cancel_requested: false,
    recheck_cluster: false,
    mint_requested_at: null,
    activation: null,
    revoke_pending: false,
    idempotency_key: ctx.idempotencyKey ?? null,
    request_hash: ctx.idempotencyKey === undefined ? null : requestHash(body),
    created_at: ctx.at,
    updated_at: ctx.at,
    finished_at: null,
  }
}

/** The public shape: what only the gateway needs stays inside. */
export function toPublic(hs: HandshakeRecord): Handshake {
  const {
    recheck_cluster: _r,
    idempotency_key: _k,
    request_hash: _h,
    mint_requested_at: _m,
    activation: _a,
    revoke_pending: _p,
    ...rest
  } = hs
  return rest
}
