import { createHash, randomBytes } from 'node:crypto'
import type { ReplicatedStorage } from '../storage.ts'

// The emulated cluster's unseal key shares. Only their hashes are stored, in replicated storage, so a DR secondary
// holds its primary's (activation replaced its own): the key-share ceremony on a secondary takes the primary's keys.
// The shares are random, not a real Shamir split: a share is valid when it is one of them.

export const sealConfigKey = 'core/seal-config'

export interface SealConfig {
  shares: number
  threshold: number
  /** SHA-256 (hex) of each share. */
  hashes: string[]
}

/** Makes `shares` key shares (base64, 33 bytes like Vault's) and stores their hashes; returns the shares. */
export function initialiseSealShares(storage: ReplicatedStorage, shares: number, threshold: number): string[] {
  if (!Number.isInteger(shares) || !Number.isInteger(threshold) || threshold < 1 || threshold > shares) {
    throw new Error(`invalid key shares ${shares} / threshold ${threshold}`)
  }
  const keys = Array.from({ length: shares }, () => randomBytes(33))
  storage.put(sealConfigKey, { shares, threshold, hashes: keys.map(hashShare) } satisfies SealConfig)
  return keys.map((key) => key.toString('base64'))
}

export function sealConfig(storage: ReplicatedStorage): SealConfig {
  return storage.get<SealConfig>(sealConfigKey) ?? { shares: 1, threshold: 1, hashes: [] }
}

/** A share as sent to Vault: hex or base64; undefined when it is neither. */
export function parseShare(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) return Buffer.from(text, 'hex')
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return Buffer.from(text, 'base64')
  return undefined
}

export function hashShare(share: Buffer): string {
  return createHash('sha256').update(share).digest('hex')
}
