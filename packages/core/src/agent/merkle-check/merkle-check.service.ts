import { isCodedError, scrubCodedError } from '../../errors.ts'
import { VaultErrors } from '../../vault/vault-errors.ts'
import { redactToken } from '../agent-inputs.ts'
import { drTokenRefusal } from '../dr-token-refusal.ts'
import { requireUnsealedDrSecondary } from '../unsealed-dr-secondary.ts'
import { GUARD_STATUS_MAX_AGE_MS, type VaultAgent } from '../vault-agent.ts'
import type { MerkleCheckResult } from './merkle-check.schemas.ts'

export const MERKLE_CHECK_PATH = 'sys/replication/dr/secondary/merkle-check'

/**
 * merkle-check on this DR secondary (fact sheet 2.8, P12): Vault walks its merkle trees and reports any corrupted
 * one, changing nothing. HashiCorp advises it after every update-primary and before anyone reaches for a reindex.
 * The DR operation token goes to Vault only, and is scrubbed from any error.
 */
export async function checkMerkleTrees(agent: VaultAgent, token: string): Promise<MerkleCheckResult> {
  requireUnsealedDrSecondary(await agent.status(GUARD_STATUS_MAX_AGE_MS), 'merkle-check')
  try {
    // The DR operation token in the body (the path's parameter) and as the client token: the path is not in Vault's
    // unauthenticated list, and the token's policy grants it (a Vault that reads only the body ignores the header).
    const res = await agent.vault.write(MERKLE_CHECK_PATH, { dr_operation_token: token }, { token })
    return verdict(res.body?.data)
  } catch (err) {
    if (!isCodedError(err)) throw err
    const scrubbed = scrubCodedError(err, (text) => redactToken(text, token))
    const refusal = drTokenRefusal(scrubbed)
    if (refusal === 'token') {
      return inconclusive(
        'MERKLE_CHECK_TOKEN_REFUSED',
        `Vault refused the DR operation token for ${MERKLE_CHECK_PATH} (403).`,
        `The token expired or its policy lacks update on ${MERKLE_CHECK_PATH}: issue a new one on the current ` +
          'primary (vault-dr dr-token rotate <secondary>), whose policy vault-dr writes with that path.',
      )
    }
    if (refusal === 'unsupported') {
      return inconclusive(
        'MERKLE_CHECK_UNSUPPORTED',
        `This Vault does not serve ${MERKLE_CHECK_PATH} (${scrubbed.message}).`,
        'merkle-check on DR secondaries needs a Vault Enterprise version that serves it; watch ' +
          'corrupted_merkle_tree in the DR status meanwhile.',
      )
    }
    throw scrubbed
  }
}

interface Tree {
  corrupted_subtree_root?: unknown
  tree_type?: unknown
  corrupted_index_tuples_map?: Record<string, { corrupted?: unknown } | null> | null
}

function verdict(data: unknown): MerkleCheckResult {
  const report = (data as { merkle_corruption_report?: unknown } | null | undefined)?.merkle_corruption_report as
    | {
        corrupted_root?: unknown
        corrupted_tree_map?: Record<string, Tree | null> | null
        last_corruption_check_epoch?: unknown
      }
    | undefined
  if (report === undefined || report === null || typeof report !== 'object') {
    throw VaultErrors.badResponse(`${MERKLE_CHECK_PATH} answered without data.merkle_corruption_report`)
  }
  const trees = Object.values(report.corrupted_tree_map ?? {}).filter((t): t is Tree => t !== null)
  const corruptedTrees = trees
    .filter(
      (t) =>
        t.corrupted_subtree_root === true ||
        Object.values(t.corrupted_index_tuples_map ?? {}).some((tuple) => tuple?.corrupted === true),
    )
    .map((t) => String(t.tree_type ?? 'unknown'))
  const checkedAt = isoOf(report.last_corruption_check_epoch)
  if (report.corrupted_root === true || corruptedTrees.length > 0) {
    return {
      outcome: 'corrupted',
      code: 'MERKLE_CORRUPTED',
      detail: `merkle-check found corruption on this DR secondary (${corruptedTrees.length > 0 ? `trees: ${corruptedTrees.join(', ')}` : 'the root'}).`,
      fix:
        'Reindex the secondary (sys/replication/dr/secondary/reindex with a DR operation token; it may take long on a ' +
        'large cluster) before relying on it for a failover.',
      corrupted_trees: corruptedTrees,
      checked_at: checkedAt,
    }
  }
  return {
    outcome: 'clean',
    code: 'MERKLE_CLEAN',
    detail: 'merkle-check found no corrupted tree on this DR secondary.',
    fix: null,
    corrupted_trees: [],
    checked_at: checkedAt,
  }
}

function inconclusive(code: string, detail: string, fix: string): MerkleCheckResult {
  return { outcome: 'inconclusive', code, detail, fix, corrupted_trees: [], checked_at: new Date().toISOString() }
}

/** Vault's RFC 3339 time of the check (local offset, microseconds), as ISO; now when it gave none readable. */
function isoOf(value: unknown): string {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN
  return new Date(Number.isFinite(ms) ? ms : Date.now()).toISOString()
}
