import { ConfigError, isCodedError } from '@vault-dr/core'
import type { EtcdSettings } from './etcd-kv.ts'
import { SqliteStore } from './sqlite-store.ts'
import type { Store } from './store.ts'

/**
 * Opens the store at VAULT_DR_STORE: the etcd cluster `etcd` describes when it is an etcd:// address (connecting
 * lazily: an unreachable cluster shows in /readyz, not at start), else the SQLite file. SQLite's own error names no
 * path ("unable to open database file", "file is not a database"), so one it raises here becomes a ConfigError
 * naming the variable, which the server prints and exits on. The etcd client (gRPC and protobuf) is loaded only for an
 * etcd store: it took about a sixth of a SQLite gateway's start.
 */
export async function openStore(path: string, etcd?: EtcdSettings): Promise<Store> {
  if (etcd !== undefined) {
    const { EtcdStore } = await import('./etcd-store.ts')
    return new EtcdStore(etcd)
  }
  try {
    return new SqliteStore(path)
  } catch (err) {
    // SQLite's own error, or one the store made of it (a read-only or full file met while the schema was set up).
    const fromSqlite = (err as { code?: string }).code === 'ERR_SQLITE_ERROR' || isCodedError(err)
    if (!fromSqlite) throw err
    throw new ConfigError(
      [`VAULT_DR_STORE: cannot use ${path} as the gateway's SQLite store: ${(err as Error).message}`],
      { cause: err },
    )
  }
}
