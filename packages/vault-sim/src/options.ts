import { randomBytes } from 'node:crypto'
import { resolveCompat, type SimCompat, type SimCompatOverrides } from './compat.ts'
import { DEFAULT_WAL_BUFFER_ENTRIES } from './storage.ts'

export interface SimTimings {
  /** How long the secondary stays in mode "bootstrapping" after activation. */
  bootstrapMs: number
  merkleDiffMs: number
  merkleSyncMs: number
  /** Interval of heartbeats on the replication connection (both directions). */
  heartbeatMs: number
  /** Silence on a replication connection after which either end gives it up (a peer that drops packets). */
  heartbeatTimeoutMs: number
  /** Delay between reconnect attempts of a secondary that lost its primary. */
  reconnectMs: number
  /** The "brief period" of unavailability after enable/demote/promote/disable. */
  restartMs: number
  /** Timeout of the secondary's unwrap call to the primary's API. */
  unwrapTimeoutMs: number
  /** Timeout of the secondary's TLS dial + bootstrap on the primary's cluster port. */
  dialTimeoutMs: number
}

export interface StartClusterOptions {
  /** 'host:port' of the API listener; default '127.0.0.1:0'. */
  apiAddr?: string | undefined
  /** 'host:port' of the cluster listener; default the API host with port 0. */
  clusterAddr?: string | undefined
  rootToken?: string | undefined
  /** Serve the API over TLS with a freshly generated CA (exposed as `apiCaPem`). */
  tls?: boolean | undefined
  /** The advertised api_addr (JWT `addr` claim); '' means "no api_addr". Default: the real listen URL. */
  apiAdvertiseAddr?: string | undefined
  /** The advertised cluster_addr; default the real cluster listen URL. */
  clusterAdvertiseAddr?: string | undefined
  /**
   * The cluster_addr of the cluster's other (standby) nodes, emulated by name only: a DR primary lists them after its
   * own in known_primary_cluster_addrs, where its secondaries look on reconnecting. Nothing listens there unless a
   * test puts something there.
   */
  standbyClusterAddrs?: string[] | undefined
  name?: string | undefined
  version?: string | undefined
  /** false = Community Edition mode. */
  enterprise?: boolean | undefined
  /** Unseal key shares made at start (handle.unsealKeys), and how many the key-share ceremony needs; default 1 / 1. */
  keyShares?: number | undefined
  keyThreshold?: number | undefined
  timings?: Partial<SimTimings> | undefined
  /**
   * How many of its last writes a DR primary keeps for secondaries that reconnect (its log shipper's buffer): one that
   * missed no more than these resumes streaming; one that missed more goes through a merkle sync. Default 1000; 0: always a sync.
   */
  walBufferEntries?: number | undefined
  compat?: SimCompatOverrides | undefined
  /** Receives one line per notable event; never secrets. */
  logger?: ((line: string) => void) | undefined
}

export interface ResolvedOptions {
  name: string
  version: string
  rootToken: string
  tls: boolean
  enterprise: boolean
  keyShares: number
  keyThreshold: number
  api: HostPort
  cluster: HostPort
  apiAdvertiseAddr: string | undefined
  clusterAdvertiseAddr: string | undefined
  standbyClusterAddrs: string[]
  timings: SimTimings
  walBufferEntries: number
  compat: SimCompat
  logger: (line: string) => void
}

export interface HostPort {
  host: string
  port: number
}

export const defaultTimings: SimTimings = {
  bootstrapMs: 100,
  merkleDiffMs: 50,
  merkleSyncMs: 100,
  heartbeatMs: 200,
  heartbeatTimeoutMs: 3_000,
  reconnectMs: 200,
  restartMs: 50,
  unwrapTimeoutMs: 5_000,
  dialTimeoutMs: 5_000,
}

/** Timings for tests: activation reaches stream-wals well under a second, and failures show within 1.5 s. */
export const testTimings: SimTimings = {
  bootstrapMs: 30,
  merkleDiffMs: 20,
  merkleSyncMs: 30,
  heartbeatMs: 50,
  heartbeatTimeoutMs: 600,
  reconnectMs: 50,
  restartMs: 20,
  unwrapTimeoutMs: 1_500,
  dialTimeoutMs: 1_500,
}

export function resolveOptions(opts: StartClusterOptions): ResolvedOptions {
  const api = parseHostPort(opts.apiAddr ?? '127.0.0.1:0')
  const cluster = opts.clusterAddr ? parseHostPort(opts.clusterAddr) : { host: api.host, port: 0 }
  const timings = { ...defaultTimings }
  for (const [key, value] of Object.entries(opts.timings ?? {})) {
    if (value !== undefined) timings[key as keyof SimTimings] = value
  }
  return {
    name: opts.name ?? `vault-sim-${randomBytes(3).toString('hex')}`,
    version: opts.version ?? '1.21.0+ent',
    rootToken: opts.rootToken ?? newServiceTokenId(),
    tls: opts.tls ?? false,
    enterprise: opts.enterprise ?? true,
    keyShares: opts.keyShares ?? 1,
    keyThreshold: opts.keyThreshold ?? 1,
    api,
    cluster,
    apiAdvertiseAddr: opts.apiAdvertiseAddr,
    clusterAdvertiseAddr: opts.clusterAdvertiseAddr,
    standbyClusterAddrs: opts.standbyClusterAddrs ?? [],
    timings,
    walBufferEntries: opts.walBufferEntries ?? DEFAULT_WAL_BUFFER_ENTRIES,
    compat: resolveCompat(opts.compat),
    logger: opts.logger ?? (() => {}),
  }
}

/** Accepts 'host:port', '[v6]:port' or a URL such as 'https://host:port' (the scheme is ignored, as Vault does for cluster_addr). */
export function parseHostPort(addr: string): HostPort {
  const withScheme = addr.includes('://') ? addr : `tcp://${addr}`
  const url = new URL(withScheme)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const defaultPort = url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : Number.NaN
  const port = url.port === '' ? defaultPort : Number(url.port)
  if (!host || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid address ${JSON.stringify(addr)}: expected host:port`)
  }
  return { host, port }
}

const tokenAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** `hvs.` + 24 base62 characters: the shape of a Vault 1.10+ service token id. */
export function newServiceTokenId(): string {
  return `hvs.${randomBase62(24)}`
}

export function randomBase62(length: number): string {
  const bytes = randomBytes(length * 2)
  let out = ''
  for (const byte of bytes) {
    // 248 = 4 * 62: reject the tail so every character is equally likely.
    if (byte < 248) out += tokenAlphabet[byte % 62]
    if (out.length === length) return out
  }
  return out + randomBase62(length - out.length)
}
