/**
 * Which gateway holds a handshake's lease, read from etcd's JSON gateway (no etcd client in the CLI). The key is the
 * gateway's etcd layout under its default prefix: `/vault-dr/handshakes/<id>`, a JSON record with `lease_owner`
 * ("<gateway id>/<process id>"). Undefined when it cannot be read.
 */
export async function handshakeLeaseOwner(endpoint: string, id: string): Promise<string | null | undefined> {
  const key = Buffer.from(`/vault-dr/handshakes/${encodeURIComponent(id)}`).toString('base64')
  try {
    const res = await fetch(`http://${endpoint}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key }),
      signal: AbortSignal.timeout(2_000),
    })
    const body = (await res.json()) as { kvs?: Array<{ value?: string }> }
    const value = body.kvs?.[0]?.value
    if (!res.ok || value === undefined) return undefined
    const record = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as { lease_owner?: string | null }
    return record.lease_owner
  } catch {
    return undefined
  }
}

/** The gateway id of a lease owner ("site-a/3f2c…" -> "site-a"). */
export const gatewayOf = (owner: string | null | undefined): string =>
  owner === undefined ? 'unknown' : owner === null ? 'nobody' : (owner.split('/')[0] ?? owner)
