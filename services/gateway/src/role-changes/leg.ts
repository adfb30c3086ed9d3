import { z } from 'zod'

/**
 * One role change of a pair (a switchover is one leg, a drill two): who was primary, who becomes it, who follows, and
 * what each step saw and when, written into the operation's data (never a secret) so a resumed run finds out what
 * happened, and so the report can say how long writes were refused and how many WALs were lost.
 */
export const Leg = z
  .object({
    from: z.string().describe('The primary at the start of the leg (demoted, then following `to`)'),
    to: z.string().describe('The secondary promoted to primary'),
    followers: z
      .array(z.object({ cluster: z.string(), secondary_id: z.string() }))
      .describe('Every cluster that follows `to` at the end, with its secondary id: `from` first, then the others'),
    to_secondary_id: z
      .string()
      .describe('The secondary id `to` had under `from` (it gets it back when it follows again)'),
    replication_cluster_id: z
      .string()
      .nullable()
      .describe('The replication set both belong to (unchanged by a switch)'),
    last_wal_before_demote: z.number().nullable().describe("`from`'s last WAL, read just before the demote"),
    demote_sent_at: z.iso.datetime().nullable().describe('When the demote was sent: writes are refused from here'),
    demoted_at: z.iso.datetime().nullable(),
    demoted_last_wal: z.number().nullable().describe("`from`'s last WAL once demoted (it writes nothing more)"),
    demoted_merkle_root: z.string().nullable(),
    caught_up_at: z.iso.datetime().nullable(),
    secondary_last_remote_wal: z.number().nullable().describe("`to`'s last_remote_wal when it was seen caught up"),
    promote_sent_at: z.iso
      .datetime()
      .nullable()
      .describe('When the promote was sent (null again once it was refused: none is outstanding)'),
    promoted_at: z.iso.datetime().nullable(),
    writes_accepted_at: z.iso.datetime().nullable().describe('When the new primary first accepted a write'),
    repoint_sent: z
      .array(z.string())
      .optional()
      .describe(
        'Followers update-primary was sent to (written before the call): a resumed run waits for those to stream, and sends it again once to one that shows no effect by the settle deadline',
      ),
    write_unavailable_ms: z
      .number()
      .nullable()
      .describe('RTO of the leg: from the demote to the new primary accepting writes'),
    wals_lost: z.number().nullable().describe('RPO of the leg: WALs `from` wrote that `to` never received; 0 expected'),
    finished_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'RoleChangeLeg' })
export type Leg = z.infer<typeof Leg>

export function newLeg(from: string, to: string, toSecondaryId: string, followers: Leg['followers']): Leg {
  return {
    from,
    to,
    followers,
    to_secondary_id: toSecondaryId,
    replication_cluster_id: null,
    last_wal_before_demote: null,
    demote_sent_at: null,
    demoted_at: null,
    demoted_last_wal: null,
    demoted_merkle_root: null,
    caught_up_at: null,
    secondary_last_remote_wal: null,
    promote_sent_at: null,
    promoted_at: null,
    writes_accepted_at: null,
    write_unavailable_ms: null,
    wals_lost: null,
    finished_at: null,
  }
}

/**
 * The leg the other way round (a drill's way back, or the undo of a failed leg): `to` steps down, `from` is primary
 * again, `to` follows it with the id it had, and the other followers follow it too.
 */
export function reversed(leg: Pick<Leg, 'from' | 'to' | 'followers' | 'to_secondary_id'>): Leg {
  const fromId = leg.followers.find((f) => f.cluster === leg.from)?.secondary_id ?? leg.from
  const others = leg.followers.filter((f) => f.cluster !== leg.from)
  return newLeg(leg.to, leg.from, fromId, [{ cluster: leg.to, secondary_id: leg.to_secondary_id }, ...others])
}
