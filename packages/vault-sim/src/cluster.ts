import { createApiListener } from './api/app.ts'
import { createContext } from './context.ts'
import { type ClusterFaults, createFaults } from './faults.ts'
import { type ResolvedOptions, resolveOptions, type StartClusterOptions } from './options.ts'
import { createCertificateAuthority } from './replication/ca.ts'
import { type ClusterSnapshot, snapshot } from './snapshot.ts'

export interface ClusterHandle {
  name: string
  /** e.g. 'http://127.0.0.1:43211' or 'https://…' with `tls`. */
  apiUrl: string
  /** The cluster listener in Vault's form, e.g. 'https://127.0.0.1:43212'. */
  clusterUrl: string
  /** The advertised api_addr ('' when none). */
  apiAdvertiseAddr: string
  clusterAdvertiseAddr: string
  /** PEM of the CA behind the API's TLS certificate, when started with `tls`. */
  apiCaPem?: string
  /** SHA-256 of the cluster listener's certificate, in node's `fingerprint256` form. */
  clusterCertFingerprint256: string
  /** The root token the cluster started with (after DR activation the primary's tokens apply instead). */
  rootToken: string
  /**
   * The unseal key shares made at start (base64), as `vault operator init` gives them once. After DR activation the
   * primary's shares are the ones its key-share ceremony takes.
   */
  unsealKeys: string[]
  faults: ClusterFaults
  state(): ClusterSnapshot
  close(): Promise<void>
}

/** Starts one emulated Vault Enterprise cluster with a real API listener and a real mutual-TLS cluster listener. */
export async function startCluster(opts: StartClusterOptions = {}): Promise<ClusterHandle> {
  const options = resolveOptions(opts)
  const ctx = await createContext(options)
  const apiTls = options.tls ? await createApiTls(options) : undefined
  const api = await createApiListener(ctx, apiTls?.server)
  try {
    await api.listen()
    await ctx.clusterListener.listen()
  } catch (err) {
    await api.stop()
    await ctx.clusterListener.close()
    await api.app.close()
    throw err
  }
  const apiUrl = `${options.tls ? 'https' : 'http'}://${hostForUrl(options.api.host)}:${api.port}`
  const clusterUrl = `https://${hostForUrl(ctx.clusterListener.address.host)}:${ctx.clusterListener.address.port}`
  ctx.addrs.apiUrl = apiUrl
  ctx.addrs.clusterUrl = clusterUrl
  ctx.addrs.apiAdvertise = options.apiAdvertiseAddr === undefined ? apiUrl : options.apiAdvertiseAddr || undefined
  ctx.addrs.clusterAdvertise = options.clusterAdvertiseAddr || clusterUrl
  ctx.log(`listening: api ${apiUrl}, cluster ${clusterUrl}`)

  const faults = createFaults(ctx, api)

  return {
    name: options.name,
    apiUrl,
    clusterUrl,
    apiAdvertiseAddr: ctx.addrs.apiAdvertise ?? '',
    clusterAdvertiseAddr: ctx.addrs.clusterAdvertise,
    ...(apiTls && { apiCaPem: apiTls.caPem }),
    clusterCertFingerprint256: ctx.identity.fingerprint256,
    rootToken: options.rootToken,
    unsealKeys: [...ctx.unsealKeys],
    faults,
    state: () => snapshot(ctx, api.listening),
    close: async () => {
      faults.stopWriteLoads()
      ctx.secondaryLink.detach()
      ctx.primarySessions.dropAll()
      await Promise.all([api.stop(), ctx.clusterListener.close()])
      await api.app.close()
      ctx.log('closed')
    },
  }
}

async function createApiTls(options: ResolvedOptions) {
  const ca = await createCertificateAuthority(`vault-sim API CA ${options.name}`)
  const host = options.api.host
  const altNames = [...new Set(['localhost', '127.0.0.1', '::1', ...(isWildcard(host) ? [] : [host])])]
  const server = await ca.issue({ commonName: isWildcard(host) ? 'localhost' : host, altNames, usage: 'server' })
  return { caPem: ca.certPem, server }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::'
}

function hostForUrl(host: string): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return reachable.includes(':') ? `[${reachable}]` : reachable
}
