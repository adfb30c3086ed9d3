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
  #lastWal = 0
  /** This cluster's own log position: equal to lastWal on a primary; on a secondary, what it wrote itself since its sync. */
  #localWal = 0
  #merkleRoot: string | undefined
  #listeners = new Set<(entry: WalEntry) => void>()

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
    this.#set(entry.key, entry.value)
    this.#lastWal = Math.max(this.#lastWal, entry.index)
    this.#localWal += 1
  }

  /**
   * A promoted secondary carries on from its own log position, not the old primary's: WAL indexes are local to each
   * cluster and can go down across a failover (D11; sharabinth: last_remote_wal 26433, then last_wal 26363).
   */
  adoptLocalWalCounter(): void {
    this.#lastWal = this.#localWal
  }

  snapshot(): StorageSnapshot {
    return { lastWal: this.#lastWal, entries: [...this.#entries] }
  }

  /** Replaces everything (a DR secondary's wipe followed by its initial sync). */
  restore(snapshot: StorageSnapshot): void {
    this.#entries = new Map(snapshot.entries.map(([key, value]) => [key, deepFreeze(structuredClone(value))]))
    this.#lastWal = snapshot.lastWal
    // The sync wrote every entry into this cluster's own log.
    this.#localWal = snapshot.entries.length
    this.#merkleRoot = undefined
  }

  /** Sets entries that arrived ahead of a sync, outside the WAL stream: written in this cluster's own log only. */
  seed(entries: Array<[string, unknown]>): void {
    for (const [key, value] of entries) this.#set(key, value)
    this.#localWal += entries.length
  }

  merkleRoot(): string {
    if (this.#merkleRoot === undefined) {
      const hash = createHash('sha1')
      for (const key of [...this.#entries.keys()].sort()) {
        hash.update(`${key}\u0000${JSON.stringify(this.#entries.get(key))}\n`)
      }
      this.#merkleRoot = hash.digest('hex')
    }
    return this.#merkleRoot
  }

  onWrite(listener: (entry: WalEntry) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #write(key: string, value: unknown): number {
    this.#set(key, value)
    this.#lastWal += 1
    this.#localWal = this.#lastWal
    const entry = { index: this.#lastWal, key, value }
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
