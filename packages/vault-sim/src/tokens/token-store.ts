import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { newServiceTokenId, randomBase62 } from '../options.ts'
import type { ReplicatedStorage } from '../storage.ts'
import { type Capability, capabilitiesOn, type PathRule, parsePolicy } from './acl.ts'

export interface TokenEntry {
  id: string
  accessor: string
  policies: string[]
  type: 'service' | 'batch'
  /** Seconds; 0 = no expiry. */
  ttl: number
  creationTime: number
  expireTime: number
  orphan: boolean
  displayName: string
  path: string
  renewable: boolean
}

export interface CreateTokenParams {
  policies?: string[] | undefined
  type?: 'service' | 'batch' | undefined
  /** 0 or unset: the default lease TTL, or no expiry for a root token. */
  ttlSeconds?: number | undefined
  orphan?: boolean | undefined
  displayName?: string | undefined
  noDefaultPolicy?: boolean | undefined
  path?: string | undefined
}

/** Vault's default_lease_ttl (768 h), the TTL of a token created without one. */
const DEFAULT_LEASE_TTL_SECONDS = 768 * 3600

export const keyringKey = 'core/keyring'
const tokenPrefix = 'sys/token/id/'
export const policyPrefix = 'sys/policy/'

// Granted to every token that carries the "default" policy (a trimmed copy of Vault's default policy).
const defaultPolicyRules: PathRule[] = parsePolicy(`
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
path "sys/capabilities-self" { capabilities = ["update"] }
path "sys/wrapping/wrap" { capabilities = ["update"] }
path "sys/wrapping/lookup" { capabilities = ["update"] }
path "sys/wrapping/unwrap" { capabilities = ["update"] }
`)

/**
 * Tokens and policies, kept in replicated storage so a DR secondary adopts them.
 * Service tokens are storage entries; batch tokens are self-contained and authenticated with the
 * keyring's HMAC key, so they stay valid on every cluster that holds the same keyring (as in Vault).
 */
export class TokenStore {
  #storage: ReplicatedStorage

  constructor(storage: ReplicatedStorage) {
    this.#storage = storage
  }

  /** Creates the keyring, the built-in policies and the root token of a fresh cluster. */
  initialise(rootToken: string): void {
    this.#storage.put(keyringKey, { term: 1, key: randomBytes(32).toString('base64') })
    this.create(
      { policies: ['root'], orphan: true, displayName: 'root', noDefaultPolicy: true, path: 'auth/token/root' },
      rootToken,
    )
  }

  create(params: CreateTokenParams, id?: string): TokenEntry {
    const now = Math.floor(Date.now() / 1000)
    const policies = [...new Set([...(params.policies ?? []), ...(params.noDefaultPolicy ? [] : ['default'])])]
    const root = policies.includes('root')
    const ttl = params.ttlSeconds || (root ? 0 : DEFAULT_LEASE_TTL_SECONDS)
    const type = params.type ?? 'service'
    const base = {
      // Batch tokens have no accessor (Vault's token-type table: "Has Accessors: No").
      accessor: type === 'batch' ? '' : randomBase62(24),
      policies: root ? ['root'] : policies.sort(),
      type,
      ttl,
      creationTime: now,
      expireTime: ttl > 0 ? now + ttl : 0,
      orphan: params.orphan ?? false,
      displayName: params.displayName ?? 'token',
      path: params.path ?? 'auth/token/create',
      renewable: false,
    } satisfies Omit<TokenEntry, 'id'>
    if (base.type === 'batch') return { id: this.#sealBatch(base), ...base }
    const entry: TokenEntry = { id: id ?? newServiceTokenId(), ...base }
    this.#storage.put(tokenPrefix + entry.id, entry)
    return entry
  }

  lookup(id: string): TokenEntry | undefined {
    const entry = id.startsWith('hvb.') ? this.#openBatch(id) : this.#storage.get<TokenEntry>(tokenPrefix + id)
    if (!entry) return undefined
    if (entry.expireTime > 0 && entry.expireTime <= Date.now() / 1000) return undefined
    return entry
  }

  /** Revokes a service token; batch tokens cannot be revoked (they live until their TTL). */
  revoke(entry: TokenEntry): void {
    if (entry.type === 'batch') throw new Error('batch tokens cannot be revoked')
    this.#storage.delete(tokenPrefix + entry.id)
  }

  capabilities(entry: TokenEntry, path: string): Set<Capability> | 'root' {
    if (entry.policies.includes('root')) return 'root'
    const ruleSets = entry.policies.map((name) => this.policyRules(name)).filter((r) => r !== undefined)
    return capabilitiesOn(ruleSets, path)
  }

  policyRules(name: string): PathRule[] | undefined {
    if (name === 'default') return defaultPolicyRules
    const policy = this.readPolicy(name)
    return policy === undefined ? undefined : parsePolicy(policy)
  }

  readPolicy(name: string): string | undefined {
    return this.#storage.get<{ policy: string }>(policyPrefix + name)?.policy
  }

  writePolicy(name: string, policy: string): number {
    return this.#storage.put(policyPrefix + name, { name, policy })
  }

  deletePolicy(name: string): number {
    return this.#storage.delete(policyPrefix + name)
  }

  policyNames(): string[] {
    return ['default', ...this.#storage.keys(policyPrefix).map((k) => k.slice(policyPrefix.length)), 'root']
  }

  #keyringSecret(): Buffer {
    const keyring = this.#storage.get<{ key: string }>(keyringKey)
    if (!keyring) throw new Error('keyring missing from storage')
    return Buffer.from(keyring.key, 'base64')
  }

  // No '.' inside the body: a token with exactly two dots would be taken for a JWT wrapping token.
  // Vault encrypts a batch token with a random nonce: two made in the same second with the same policies differ.
  #sealBatch(entry: Omit<TokenEntry, 'id'>): string {
    const payload = Buffer.from(JSON.stringify({ ...entry, nonce: randomBytes(8).toString('hex') }))
    const mac = createHmac('sha256', this.#keyringSecret()).update(payload).digest()
    return `hvb.${Buffer.concat([payload, mac]).toString('base64url')}`
  }

  #openBatch(id: string): TokenEntry | undefined {
    const raw = Buffer.from(id.slice(4), 'base64url')
    if (raw.length <= 32) return undefined
    const payload = raw.subarray(0, raw.length - 32)
    const mac = raw.subarray(raw.length - 32)
    const expected = createHmac('sha256', this.#keyringSecret()).update(payload).digest()
    if (!timingSafeEqual(mac, expected)) return undefined
    try {
      const { nonce: _, ...entry } = JSON.parse(payload.toString()) as Omit<TokenEntry, 'id'> & { nonce?: string }
      return { id, ...entry }
    } catch {
      return undefined
    }
  }
}
