import { noop } from 'cockatiel'
import {
  Etcd3,
  type ICompare,
  type IKeyValue,
  type IOptions,
  type IRequestOp,
  isRecoverableError,
  type KVClient,
} from 'etcd3'
import { EtcdBatches } from './etcd-batches.ts'
import { toStoreError } from './etcd-errors.ts'

/** How to reach the etcd cluster: VAULT_DR_STORE=etcd://host:port,... and the VAULT_DR_ETCD_* variables. */
export interface EtcdSettings {
  hosts: string[]
  prefix: string
  caPem?: string | undefined
  certPem?: string | undefined
  keyPem?: string | undefined
  /** Deadline of one call to a member. */
  callTimeoutMs: number
}

export interface Kv {
  key: string
  value: Buffer
  createRevision: number
  modRevision: number
}

export type Compare = ICompare
export type Op = IRequestOp

const bytes = (s: string) => Buffer.from(s, 'utf8')

/** The first key after every key that starts with `prefix`. */
function prefixEnd(prefix: string): Buffer {
  const end = bytes(prefix)
  end[end.length - 1] = (end[end.length - 1] ?? 0) + 1
  return end
}

/** The key does not exist. */
export const absent = (key: string): Compare => ({ key: bytes(key), target: 1, result: 0, create_revision: 0 })
/** No key starts with `prefix`. */
export const noneUnder = (prefix: string): Compare => ({
  key: bytes(prefix),
  range_end: prefixEnd(prefix),
  target: 1,
  result: 0,
  create_revision: 0,
})
/** The key is as read: unmodified since `kv` was read, or still absent when it was. */
export const unchanged = (key: string, kv: Kv | undefined): Compare =>
  kv === undefined ? absent(key) : { key: bytes(key), target: 2, result: 0, mod_revision: kv.modRevision }
/** The key holds `value`. */
export const holds = (key: string, value: string): Compare => ({
  key: bytes(key),
  target: 3,
  result: 0,
  value: bytes(value),
})
export const put = (key: string, value: string): Op => ({ request_put: { key: bytes(key), value: bytes(value) } })
export const del = (key: string): Op => ({ request_delete_range: { key: bytes(key) } })

const toKv = (kv: IKeyValue): Kv => ({
  key: kv.key.toString('utf8'),
  value: kv.value,
  createRevision: Number(kv.create_revision),
  modRevision: Number(kv.mod_revision),
})

/** How long a member that failed a call is passed over, the others tried first; doubled while it fails again. */
const MEMBER_REST_MS = 5_000
const MEMBER_REST_MAX_MS = 60_000

interface Member {
  client: Etcd3
  /** Until when it is tried only after the others (Date.now()). */
  downUntil: number
  /** Its last rest; 0 since it last answered. */
  restMs: number
}

/**
 * The few etcd calls the store makes. Every call goes to one member, the first of VAULT_DR_STORE's hosts that
 * answers (list the member of the gateway's own site first): one connection carries every request, and the members
 * spend less than when each request goes to another (10,000 calls, 32 at once: 3.2-3.5 CPU s in three members against
 * 4.6, the client 2.0 against 2.9). A member whose call fails as unreachable is passed over for five seconds (twice
 * as long each time it fails again, up to a minute), and the call made on the next, up to every member once. Every call has a deadline, and every failure becomes
 * GATEWAY_ERR_STORE_UNAVAILABLE: without a quorum no read or write succeeds, so the gateway advances nothing.
 * A call that may be retried after it was applied is one whose compare then fails; the store's writes recognise
 * their own earlier attempt (a write id in the value) instead of applying twice.
 */
export class EtcdKv {
  readonly #members: Member[]
  readonly #batches: EtcdBatches

  constructor(settings: EtcdSettings) {
    const options: Omit<IOptions, 'hosts'> = {
      dialTimeout: settings.callTimeoutMs,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + settings.callTimeoutMs }),
      // Large fleets: one range of every handshake may pass gRPC's default 4 MiB answer.
      grpcOptions: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
      // One member per client: which member to try, and when another, is decided here (#call).
      faultHandling: { host: () => noop, global: noop },
    }
    if (settings.caPem !== undefined) {
      options.credentials = {
        rootCertificate: bytes(settings.caPem),
        ...(settings.keyPem === undefined ? {} : { privateKey: bytes(settings.keyPem) }),
        ...(settings.certPem === undefined ? {} : { certChain: bytes(settings.certPem) }),
      }
    }
    this.#members = settings.hosts.map((host) => ({
      client: new Etcd3({ ...options, hosts: [host] }),
      downUntil: 0,
      restMs: 0,
    }))
    const kv = {
      range: (...args: Parameters<KVClient['range']>) => this.#call((c) => c.range(...args)),
      txn: (...args: Parameters<KVClient['txn']>) => this.#call((c) => c.txn(...args)),
    }
    this.#batches = new EtcdBatches(kv, toStoreError)
  }

  /**
   * Makes a call on the first member that is not resting, then on the others in turn while it fails unreachable (the
   * resting ones last, the one whose rest ends first first).
   */
  async #call<T>(fn: (kv: KVClient) => Promise<T>): Promise<T> {
    const now = Date.now()
    const order = [
      ...this.#members.filter((m) => m.downUntil <= now),
      ...this.#members.filter((m) => m.downUntil > now).sort((a, b) => a.downUntil - b.downUntil),
    ]
    let last: unknown
    for (const member of order) {
      try {
        return await this.#on(member, fn)
      } catch (err) {
        if (!(err instanceof Error) || !isRecoverableError(err)) throw err
        last = err
      }
    }
    throw last
  }

  /** One try on one member: one that fails unreachable rests (longer each time it fails again), one that answers not. */
  async #on<T>(member: Member, fn: (kv: KVClient) => Promise<T>): Promise<T> {
    try {
      const answer = await fn(member.client.kv)
      member.downUntil = 0
      member.restMs = 0
      return answer
    } catch (err) {
      if (err instanceof Error && isRecoverableError(err)) {
        // A member that keeps hanging costs a deadline ever more rarely.
        member.restMs = Math.min(MEMBER_REST_MAX_MS, Math.max(MEMBER_REST_MS, member.restMs * 2))
        member.downUntil = Date.now() + member.restMs
      }
      throw err
    }
  }

  /** A call (#call) whose failure is a store error. */
  #store<T>(fn: (kv: KVClient) => Promise<T>): Promise<T> {
    return this.#call(fn).catch((err: unknown) => {
      throw toStoreError(err)
    })
  }

  /** One key, read with the others asked for in the same turn (EtcdBatches). */
  async get(key: string): Promise<Kv | undefined> {
    const kv = await this.#batches.read(key)
    return kv === undefined ? undefined : toKv(kv)
  }

  /**
   * Whether a quorum answers: one linearizable read of `key` asked of every member at once, each with `timeoutMs`,
   * answered by the first that answers. A member that hangs (stopped, a stalled disk) costs nothing while another
   * answers, however it is listed; fails only when none answers.
   */
  async quorumAnswers(key: string, timeoutMs: number): Promise<void> {
    const read = (member: Member) =>
      this.#on(member, (c) => c.range({ key: bytes(key), count_only: true }, { deadline: Date.now() + timeoutMs }))
    try {
      await Promise.any(this.#members.map(read))
    } catch (err) {
      throw toStoreError(err instanceof AggregateError ? err.errors[0] : err)
    }
  }

  /** The alarms the members raised (etcd's NOSPACE: writes refused, reads served), asked of the first that answers. */
  async alarms(timeoutMs: number): Promise<string[]> {
    const ask = (member: Member) =>
      this.#on(member, () =>
        member.client.maintenance.alarm(
          { action: 'Get', memberID: '0', alarm: 'None' },
          { deadline: Date.now() + timeoutMs },
        ),
      )
    try {
      const answer = await Promise.any(this.#members.map(ask))
      return answer.alarms.map((a) => String(a.alarm))
    } catch (err) {
      throw toStoreError(err instanceof AggregateError ? err.errors[0] : err)
    }
  }

  /** Every key under the prefix, at one revision, in key order. */
  async list(prefix: string): Promise<Kv[]> {
    const res = await this.#store((c) => c.range({ key: bytes(prefix), range_end: prefixEnd(prefix) }))
    return res.kvs.map(toKv)
  }

  /**
   * The first `limit` keys under each prefix (0: all), last key first, all read at one revision (`revision` when
   * given), which it answers too, to read what they name at that same revision.
   */
  async newestUnder(prefixes: string[], limit: number, revision?: number): Promise<{ revision: number; kvs: Kv[][] }> {
    const res = await this.#store((c) =>
      c.txn({
        compare: [],
        success: prefixes.map((prefix) => ({
          request_range: {
            key: bytes(prefix),
            range_end: prefixEnd(prefix),
            limit,
            sort_order: 'Descend' as const,
            sort_target: 'Key' as const,
            ...(revision === undefined ? {} : { revision }),
          },
        })),
      }),
    )
    return {
      revision: Number(res.header.revision),
      kvs: res.responses.map((r) => (r.response_range?.kvs ?? []).map(toKv)),
    }
  }

  /** How many keys are under each prefix, counted at one revision (nothing but the counts travels). */
  async countUnder(prefixes: string[]): Promise<number[]> {
    const res = await this.#store((c) =>
      c.txn({
        compare: [],
        success: prefixes.map((prefix) => ({
          request_range: { key: bytes(prefix), range_end: prefixEnd(prefix), count_only: true },
        })),
      }),
    )
    return res.responses.map((r) => Number(r.response_range?.count ?? 0))
  }

  /**
   * Several keys read at one revision, in read-only transactions of at most 100 reads (etcd refuses more than 128
   * operations in one by default): at `revision` when given (all at once), else at the first one's.
   */
  async getMany(keys: string[], revision?: number): Promise<Array<Kv | undefined>> {
    if (keys.length === 0) return []
    const read = async (chunk: string[], at: number | undefined) => {
      const pinned = at === undefined ? {} : { revision: at }
      const success = chunk.map((key) => ({ request_range: { key: bytes(key), ...pinned } }))
      const res = await this.#store((c) => c.txn({ compare: [], success }))
      const kvs = res.responses.map((r) => r.response_range?.kvs[0])
      return { revision: Number(res.header.revision), kvs: kvs.map((kv) => (kv === undefined ? undefined : toKv(kv))) }
    }
    const first = await read(keys.slice(0, 100), revision)
    const chunks: string[][] = []
    for (let i = 100; i < keys.length; i += 100) chunks.push(keys.slice(i, i + 100))
    const rest = await Promise.all(chunks.map((chunk) => read(chunk, first.revision)))
    return [first, ...rest].flatMap((r) => r.kvs)
  }

  /** Applies `ops` if every comparison holds; false (nothing written) otherwise. */
  async txn(compare: Compare[], ops: Op[]): Promise<boolean> {
    return (await this.txnAt(compare, ops)) !== undefined
  }

  /**
   * As txn, answering the revision the writes were applied at (each key written has it as its modRevision). Sent with
   * the other transactions made in the same turn whose keys are apart from its own (EtcdBatches).
   */
  async txnAt(compare: Compare[], ops: Op[]): Promise<number | undefined> {
    return this.#batches.write(compare, ops)
  }

  close(): void {
    for (const member of this.#members) member.client.close()
  }
}
