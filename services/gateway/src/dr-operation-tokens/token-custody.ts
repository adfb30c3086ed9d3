import type { FastifyBaseLogger } from 'fastify'
import type { AgentClients, AgentTarget } from '../agents/agent-clients.ts'
import { callFenced } from '../failovers/epoch-floor.ts'
import { PairsErrors } from '../pairs/pairs-errors.ts'
import type { SecretBox } from '../store/secret-box.ts'
import type { Store, StoredCluster, StoredDrToken } from '../store/store.ts'
import { issueOnce } from './issue-claim.ts'

/** What is known of a primary's DR operation token, never the token. */
export interface DrTokenInfo {
  issued_at: string
  expires_at: string
  rotate_at: string
  remaining_s: number
  previous_expires_at: string | null
  primary_cluster_id: string | null
}

export type RotationReason = 'missing' | 'expired' | 'half_life' | 'primary_changed' | 'requested'

export interface CustodyDeps {
  store: Store
  box: SecretBox
  agents: AgentClients
  targetOf: (cluster: StoredCluster) => AgentTarget
  now: () => number
  /** The TTL the gateway asks for (VAULT_DR_OPERATION_TOKEN_TTL); undefined: the primary agent's own default. */
  ttl: string | undefined
  /** Where a raise of the store's fencing epoch above an agent's is told. */
  log?: Pick<FastifyBaseLogger, 'warn'>
}

/** A token is re-issued at this fraction of its TTL, so the new one is valid long before the old one ends. */
export const ROTATE_AT_FRACTION = 0.5

const owner = (primary: string) => `dr-operation-token/${primary}`

export function rotateAt(token: Pick<StoredDrToken, 'issued_at' | 'expires_at'>): number {
  const issued = Date.parse(token.issued_at)
  return issued + (Date.parse(token.expires_at) - issued) * ROTATE_AT_FRACTION
}

export type TokenCustody = ReturnType<typeof createDrTokenCustody>

/** Whether two records keep the very same token (each sealing is unique, so equal sealed bytes are one token). */
const sameToken = (a: StoredDrToken, b: StoredDrToken | undefined) =>
  b !== undefined && Buffer.from(a.token_sealed).equals(Buffer.from(b.token_sealed))

/**
 * Keeps one batch DR operation token per primary, sealed in the store like agent tokens (AES-256-GCM, bound to the
 * primary's name), and the one it replaced until that expires. Tokens are only ever in memory here on their way from
 * the primary agent to the store, or from the store to the secondary agent's check: never logged or answered.
 */
export function createDrTokenCustody({ store, box, agents, targetOf, now, ttl, log }: CustodyDeps) {
  /** Why the stored token must be replaced now, if it must. */
  function dueReason(token: StoredDrToken | undefined, primaryClusterId: string | null): RotationReason | undefined {
    if (token === undefined) return 'missing'
    if (Date.parse(token.expires_at) <= now()) return 'expired'
    if (primaryClusterId !== null && token.primary_cluster_id !== primaryClusterId) return 'primary_changed'
    if (rotateAt(token) <= now()) return 'half_life'
    return undefined
  }

  /** Issues a token on `primary` and stores it in place of `replaces` (kept as previous while it is valid). */
  async function issue(primary: StoredCluster, replaces: StoredDrToken | undefined, signal?: AbortSignal) {
    const client = agents.primary(targetOf(primary))
    const create = client.createDrOperationToken
    if (create === undefined) {
      throw PairsErrors.drTokenUnsupported(`The agent of ${primary.name} cannot issue DR operation tokens`)
    }
    const body = ttl === undefined ? {} : { ttl }
    const made = await callFenced(store, client, (epoch) => create(body, signal, { epoch }), { signal, log })
    const keepPrevious = replaces !== undefined && Date.parse(replaces.expires_at) > now()
    const record: StoredDrToken = {
      primary: primary.name,
      token_sealed: box.seal(made.token, owner(primary.name)),
      issued_at: made.issued_at,
      expires_at: made.expires_at,
      primary_cluster_id: made.primary_cluster_id,
      previous_sealed: keepPrevious ? replaces.token_sealed : null,
      previous_expires_at: keepPrevious ? replaces.expires_at : null,
      updated_at: new Date(now()).toISOString(),
    }
    if (await store.putDrToken(record, replaces?.issued_at ?? null)) return record
    // Another gateway sharing the store rotated first: its token is kept, this one is left to expire unused.
    return (await store.getDrToken(primary.name)) ?? record
  }

  /** Per primary, one rotation at a time in this process: concurrent callers share it. */
  const inFlight = new Map<string, Promise<{ token: StoredDrToken; rotated: RotationReason | undefined }>>()

  return {
    /**
     * The primary's token, issued or re-issued first when it is missing, expired, past half its TTL, made by another
     * replication set than the primary's current one, or when `force` asks for a new one.
     */
    ensure(
      primary: StoredCluster,
      primaryClusterId: string | null,
      /**
       * `heldByOperation`: the caller is a step of an operation holding the primary's lock (the upkeep and rotations
       * leave a held pair alone; one that began before the operation took it may still issue beside it), so no claim is
       * taken or waited for: a gateway killed holding one must not stall the operation.
       */
      opts: { force?: boolean; signal?: AbortSignal; heldByOperation?: boolean } = {},
    ) {
      // An operation's step issues on its own (it holds the primary): never behind an upkeep waiting for a claim.
      const running = opts.heldByOperation === true ? undefined : inFlight.get(primary.name)
      if (running !== undefined) return running
      const work = (async () => {
        const current = await store.getDrToken(primary.name)
        const reason = opts.force === true ? 'requested' : dueReason(current, primaryClusterId)
        if (reason === undefined && current !== undefined) return { token: current, rotated: undefined }
        if (opts.heldByOperation === true) return { token: await issue(primary, current, opts.signal), rotated: reason }
        return issueOnce(
          store,
          primary.name,
          now,
          async () => ({ token: await issue(primary, current, opts.signal), rotated: reason }),
          // Another gateway issued one meanwhile: its token, read now, is the rotation's outcome here too.
          async () => {
            const stored = await store.getDrToken(primary.name)
            const renewed = stored !== undefined && !sameToken(stored, current)
            return renewed ? { token: stored, rotated: reason } : undefined
          },
          opts.signal,
        )
      })().finally(() => {
        if (inFlight.get(primary.name) === work) inFlight.delete(primary.name)
      })
      if (opts.heldByOperation !== true) inFlight.set(primary.name, work)
      return work
    },
    /** The token in clear, for the secondary agent's check only; undefined when the store key does not open it. */
    open(token: StoredDrToken): string | undefined {
      return box.open(token.token_sealed, owner(token.primary))
    },
    info(token: StoredDrToken): DrTokenInfo {
      return {
        issued_at: token.issued_at,
        expires_at: token.expires_at,
        rotate_at: new Date(rotateAt(token)).toISOString(),
        remaining_s: Math.max(0, Math.floor((Date.parse(token.expires_at) - now()) / 1000)),
        previous_expires_at: token.previous_expires_at,
        primary_cluster_id: token.primary_cluster_id,
      }
    },
    get: (primary: string) => store.getDrToken(primary),
  }
}
