import { createHash } from 'node:crypto'

/** One replicated write: `value: null` deletes the key. */
export interface WalEntry {
  index: number
  key: string
  value: unknown
}

export interface StorageSnapshot {
  lastWal: number
  entries: Array<[string, unknown]>
}

/**
 * The cluster's replicated storage: everything a DR secondary mirrors (policies, tokens, keyring, data).
 * Every write gets the next WAL index; the merkle root is a hash over all entries, so two clusters
 * holding the same data report the same root.
 */
export class ReplicatedStorage {
  #entries = new Map<string, unknown>()
  /**
   * The log shipper's buffer: this cluster's last writes, each with the value it replaced, from which a reconnecting
   * secondary resumes streaming. Anything else changing the storage (a sync, a WAL applied, a promote's counter)
   * empties it: it stays exactly the writes between a past state and the present one.
   */
  #shipped: Array<{ entry: WalEntry; replaced: unknown }> = []
  readonly #shippedLimit: number
  #lastWal = 0
  /** This cluster's own log position: equal to lastWal on a primary; on a secondary, what it wrote itself since its sync. */
  #localWal = 0
  #merkleRoot: string | undefined
  #listeners = new Set<(entry: WalEntry) => void>()

  constructor({ walBufferEntries = DEFAULT_WAL_BUFFER_ENTRIES }: { walBufferEntries?: number | undefined } = {}) {
    this.#shippedLimit = Math.max(0, walBufferEntries)
  }

  get lastWal(): number {
    return this.#lastWal
  }

  get size(): number {
    return this.#entries.size
  }

  get<T>(key: string): T | undefined {
    return this.#entries.get(key) as T | undefined
  }

  keys(prefix: string): string[] {
    return [...this.#entries.keys()].filter((k) => k.startsWith(prefix)).sort()
  }

  put(key: string, value: unknown): number {
    return this.#write(key, value)
  }

  delete(key: string): number {
    return this.#write(key, null)
  }

  /** Applies a write received from the primary, keeping the primary's WAL index. */
  apply(entry: WalEntry): void {
    this.#shipped = []
    this.#set(entry.key, entry.value)
    this.#lastWal = Math.max(this.#lastWal, entry.index)
    this.#localWal += 1
  }

  /**
   * A promoted secondary carries on from its own log position, not the old primary's: WAL indexes are local to each
   * cluster and can go down across a failover (D11; sharabinth: last_remote_wal 26433, then last_wal 26363).
   */
  adoptLocalWalCounter(): void {
    this.#shipped = []
    this.#lastWal = this.#localWal
  }

  snapshot(): StorageSnapshot {
    return { lastWal: this.#lastWal, entries: [...this.#entries] }
  }

  /** Replaces everything (a DR secondary's wipe followed by its initial sync). */
  restore(snapshot: StorageSnapshot): void {
    this.#shipped = []
    this.#entries = new Map(snapshot.entries.map(([key, value]) => [key, deepFreeze(structuredClone(value))]))
    this.#lastWal = snapshot.lastWal
    // The sync wrote every entry into this cluster's own log.
    this.#localWal = snapshot.entries.length
    this.#merkleRoot = undefined
  }

  /** Sets entries that arrived ahead of a sync, outside the WAL stream: written in this cluster's own log only. */
  seed(entries: Array<[string, unknown]>): void {
    this.#shipped = []
    for (const [key, value] of entries) this.#set(key, value)
    this.#localWal += entries.length
  }

  merkleRoot(): string {
    this.#merkleRoot ??= rootOf(this.#entries)
    return this.#merkleRoot
  }

  /**
   * The writes a secondary missed since its `lastRemoteWal`, if the buffer still holds all of them and the secondary's
   * `merkleRoot` is this cluster's root as of that WAL (the guard Vault's log shipper streams from: the same history,
   * not only the same number); undefined when only a merkle sync can bring it back.
   */
  missedSince(lastRemoteWal: number, merkleRoot: string): WalEntry[] | undefined {
    if (lastRemoteWal > this.#lastWal) return undefined
    const missed = this.#shipped.filter(({ entry }) => entry.index > lastRemoteWal)
    const firstShipped = this.#shipped[0]?.entry.index ?? this.#lastWal + 1
    if (firstShipped > lastRemoteWal + 1 && lastRemoteWal !== this.#lastWal) return undefined
    if (missed.length === 0) return merkleRoot === this.merkleRoot() ? [] : undefined
    const then = new Map(this.#entries)
    for (const { entry, replaced } of missed.toReversed()) {
      if (replaced === undefined) then.delete(entry.key)
      else then.set(entry.key, replaced)
    }
    return merkleRoot === rootOf(then) ? missed.map(({ entry }) => entry) : undefined
  }

  /** The buffer loses what it holds (too small for the writes since): a secondary that reconnects needs a sync. */
  dropShipped(): void {
    this.#shipped = []
  }

  onWrite(listener: (entry: WalEntry) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #write(key: string, value: unknown): number {
    const replaced = this.#entries.get(key)
    this.#set(key, value)
    this.#lastWal += 1
    this.#localWal = this.#lastWal
    const entry = { index: this.#lastWal, key, value }
    if (this.#shippedLimit > 0) {
      this.#shipped.push({ entry, replaced })
      if (this.#shipped.length > this.#shippedLimit) this.#shipped.shift()
    }
    for (const listener of this.#listeners) listener(entry)
    return this.#lastWal
  }

  #set(key: string, value: unknown): void {
    // Frozen copies: a caller mutating what it wrote or read must not change storage behind the WAL's back.
    if (value === null) this.#entries.delete(key)
    else this.#entries.set(key, deepFreeze(structuredClone(value)))
    this.#merkleRoot = undefined
  }
}

/** How many writes the log shipper's buffer holds by default (our choice: Vault sizes its buffer in its config). */
export const DEFAULT_WAL_BUFFER_ENTRIES = 1_000

function rootOf(entries: Map<string, unknown>): string {
  const hash = createHash('sha1')
  for (const key of [...entries.keys()].sort()) hash.update(`${key}\u0000${JSON.stringify(entries.get(key))}\n`)
  return hash.digest('hex')
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
