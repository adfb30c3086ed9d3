import type { EtcdKeys } from './etcd-keys.ts'
import { del, type EtcdKv, type Kv, put, unchanged } from './etcd-kv.ts'
import type { StoredCeremonyToken, StoredDrToken } from './store.ts'

const b64 = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString('base64'))
const unb64 = (text: string | null) => (text === null ? null : new Uint8Array(Buffer.from(text, 'base64')))

/** Sealed bytes stored as base64: sealed before they reach the store, never in clear. */
function drTokenFromKv(kv: Kv): StoredDrToken {
  const doc = JSON.parse(kv.value.toString('utf8')) as Record<string, string | null>
  return {
    primary: String(doc.primary),
    token_sealed: unb64(doc.token_sealed ?? null) ?? new Uint8Array(),
    issued_at: String(doc.issued_at),
    expires_at: String(doc.expires_at),
    primary_cluster_id: doc.primary_cluster_id ?? null,
    previous_sealed: unb64(doc.previous_sealed ?? null),
    previous_expires_at: doc.previous_expires_at ?? null,
    updated_at: String(doc.updated_at),
  }
}

const drTokenDoc = (t: StoredDrToken) =>
  JSON.stringify({ ...t, token_sealed: b64(t.token_sealed), previous_sealed: b64(t.previous_sealed) })

export async function getDrToken(kv: EtcdKv, keys: EtcdKeys, primary: string): Promise<StoredDrToken | undefined> {
  const found = await kv.get(keys.drToken(primary))
  return found === undefined ? undefined : drTokenFromKv(found)
}

export async function listDrTokens(kv: EtcdKv, keys: EtcdKeys): Promise<StoredDrToken[]> {
  return (await kv.list(keys.drTokens())).map(drTokenFromKv).sort((a, b) => (a.primary < b.primary ? -1 : 1))
}

/**
 * Writes a primary's token only if the one stored is still the one the writer read (`replaces`: its issued_at, or
 * null for none), in one transaction: two gateways rotating at once keep one token. False when another wrote first.
 */
export async function putDrToken(
  kv: EtcdKv,
  keys: EtcdKeys,
  token: StoredDrToken,
  replaces: string | null,
): Promise<boolean> {
  const key = keys.drToken(token.primary)
  const current = await kv.get(key)
  const issued = current === undefined ? null : drTokenFromKv(current).issued_at
  if (issued !== replaces) return false
  return kv.txn([unchanged(key, current)], [put(key, drTokenDoc(token))])
}

export async function getCeremonyToken(
  kv: EtcdKv,
  keys: EtcdKeys,
  secondary: string,
): Promise<StoredCeremonyToken | undefined> {
  const found = await kv.get(keys.ceremonyToken(secondary))
  return found === undefined ? undefined : ceremonyTokenFromKv(found)
}

function ceremonyTokenFromKv(found: Kv): StoredCeremonyToken {
  const doc = JSON.parse(found.value.toString('utf8')) as {
    secondary: string
    token_sealed: string
    created_at: string
  }
  return { ...doc, token_sealed: unb64(doc.token_sealed) ?? new Uint8Array() }
}

export async function deleteCeremonyToken(
  kv: EtcdKv,
  keys: EtcdKeys,
  secondary: string,
  madeAt: string,
): Promise<boolean> {
  const key = keys.ceremonyToken(secondary)
  const current = await kv.get(key)
  if (current === undefined || ceremonyTokenFromKv(current).created_at !== madeAt) return false
  return kv.txn([unchanged(key, current)], [del(key)])
}

export async function putCeremonyToken(kv: EtcdKv, keys: EtcdKeys, token: StoredCeremonyToken): Promise<void> {
  await kv.txn(
    [],
    [put(keys.ceremonyToken(token.secondary), JSON.stringify({ ...token, token_sealed: b64(token.token_sealed) }))],
  )
}
