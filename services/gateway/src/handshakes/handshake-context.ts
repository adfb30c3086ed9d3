import type { FastifyBaseLogger } from 'fastify'
import type { PrimaryAgentClient, SecondaryAgentClient } from '../agents/agent-clients.ts'
import type { HandshakeSettings } from '../config.ts'
import type { HandshakePatch, HandshakeRecord, SecondaryIdHistory } from '../store/store.ts'
import type { StatusMemo } from './status-memo.ts'
import type { TokenKeeper } from './token-keeper.ts'

/** What a handshake step gets: the handshake as stored, both agents, the in-memory token, and a way to save progress. */
export interface StepContext {
  /** The handshake as last written. */
  readonly hs: HandshakeRecord
  primary: PrimaryAgentClient
  secondary: SecondaryAgentClient
  tokens: TokenKeeper
  /** The clusters' statuses this run read since it last changed them (the agents above keep it up to date). */
  statuses: StatusMemo
  settings: HandshakeSettings
  /** Aborts when the gateway stops (steps that change nothing) or the handshake is cancelled (preflight). */
  readonly signal: AbortSignal
  /** What this gateway's other handshakes did with the handshake's secondary id on its primary. */
  secondaryIdHistory(): Promise<SecondaryIdHistory>
  /** Forgets the secondary's key-share ceremony token: the activation about to be sent wipes it from the cluster. */
  forgetCeremonyToken(): Promise<void>
  now: () => number
  log: FastifyBaseLogger
  /** Writes part of the handshake (checks, token metadata) before the step goes on. */
  save(patch: HandshakePatch, event?: { type: 'checks'; data: Record<string, unknown> }): Promise<void>
}
