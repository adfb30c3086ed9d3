import { chmodSync, mkdirSync, openSync } from 'node:fs'

/**
 * A directory only its owner can enter, also when an earlier run created it with the default mode: the demo's data
 * holds tokens, and its logs addresses, ids and errors.
 */
export function privateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 })
  chmodSync(path, 0o700)
}

/** A file descriptor appending to path, which only its owner can read (an existing file is narrowed too). */
export function openPrivateAppend(path: string): number {
  const fd = openSync(path, 'a', 0o600)
  chmodSync(path, 0o600)
  return fd
}
