import { isCodedError } from '@vault-dr/core'
import type { FastifyBaseLogger } from 'fastify'
import type { PrimaryAgentClient, SecondaryAgentClient } from '../agents/agent-clients.ts'
import type { HandshakeSettings } from '../config.ts'
import type { HandshakePatch, HandshakeRecord, SecondaryIdHistory } from '../store/store.ts'
import type { StepError, StepName } from './handshakes.schemas.ts'
import type { StatusMemo } from './status-memo.ts'
import type { TokenKeeper } from './token-keeper.ts'

/** What a step gets: the handshake as stored, both agents, the in-memory token, and a way to save progress. */
export interface StepContext {
  hs: HandshakeRecord
  primary: PrimaryAgentClient
  secondary: SecondaryAgentClient
  tokens: TokenKeeper
  /** The clusters' statuses this run read since it last changed them (the agents above keep it up to date). */
  statuses: StatusMemo
  settings: HandshakeSettings
  /** Aborts when the gateway stops (steps that change nothing) or the handshake is cancelled (preflight). */
  signal: AbortSignal
  /** Whether a cancellation was asked (of any gateway sharing the store). */
  cancelRequested(): Promise<boolean>
  /** What this gateway's other handshakes did with the handshake's secondary id on its primary. */
  secondaryIdHistory(): Promise<SecondaryIdHistory>
  now: () => number
  log: FastifyBaseLogger
  /** Writes part of the handshake (checks, token metadata) before the step goes on. */
  save(patch: HandshakePatch, event?: { type: 'checks'; data: Record<string, unknown> }): Promise<void>
}

export interface StepResult {
  status: 'succeeded' | 'skipped'
  detail: string
  /** Every later step is skipped with this detail and the handshake succeeds (nothing left to do). */
  skipRest?: string
}

export type StepFn = (ctx: StepContext) => Promise<StepResult>
export type StepTable = Record<StepName, StepFn>

/** A step failed with a diagnosis that is not (only) a coded error, e.g. a failed preflight check. */
export class StepFailed extends Error {
  readonly error: StepError

  constructor(error: StepError) {
    super(error.detail)
    this.name = 'StepFailed'
    this.error = error
  }
}

/** A step noticed a cancellation before doing anything irreversible: the handshake is cancelled. */
export class StepCancelled extends Error {
  constructor() {
    super('cancelled by request')
    this.name = 'StepCancelled'
  }
}

/** A code of our catalogues (GATEWAY_ERR_*, SECONDARY_ERR_*, VAULT_ERR_*…), not a library's (ECONNREFUSED, UND_ERR_*). */
const DOCUMENTED_CODE = /^[A-Z]+_ERR_[A-Z0-9_]+$/

/** The diagnosis of a failure: the agent's own code when it gave one, ours otherwise. */
export function toStepError(err: unknown): StepError {
  if (err instanceof StepFailed) return err.error
  if (isCodedError(err)) {
    const agents = err.upstream?.code
    const code =
      agents !== undefined && DOCUMENTED_CODE.test(agents) && !agents.startsWith('UND_ERR_') ? agents : err.code
    return { code, detail: err.message, fix: err.fix ?? null }
  }
  return {
    code: 'GATEWAY_ERR_INTERNAL',
    detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    fix: 'This is a bug in vault-dr: report it with the handshake id and the gateway log.',
  }
}
