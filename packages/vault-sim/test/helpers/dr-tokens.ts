import type { ClusterHandle } from '../../src/index.ts'
import { vault } from './vault-http.ts'

const promotionPaths = ['sys/replication/dr/secondary/promote', 'sys/replication/dr/secondary/update-primary'] as const

// For raft storage the recipe also grants the validation call (enos generate_dr_operation_token).
const raftRule = 'path "sys/storage/raft/autopilot/state" { capabilities = ["update", "read"] }'

/**
 * The DR tutorial's batch DR operation token (§2.11(b)), minted in advance on the primary: a policy granting
 * `capabilities` (default `update`) on `paths`, an orphan non-renewable batch role, and a token from that role.
 */
export async function mintBatchDrToken(
  primary: ClusterHandle,
  {
    paths = promotionPaths as readonly string[],
    capabilities = ['update'],
    name = 'dr-secondary-promotion',
    rootToken = primary.rootToken,
    ttl = '8h',
    raft = true,
  } = {},
): Promise<string> {
  const call = async (path: string, body: unknown) => {
    const r = await vault('POST', `${primary.apiUrl}/v1/${path}`, { token: rootToken, body, caPem: primary.apiCaPem })
    if (r.status >= 300) throw new Error(`${path} ${r.status}: ${r.text}`)
    return r
  }
  const granted = capabilities.map((c) => `"${c}"`).join(', ')
  const rules = paths.map((path) => `path "${path}" { capabilities = [${granted}] }`)
  await call(`sys/policies/acl/${name}`, {
    policy: [...rules, ...(raft ? [raftRule] : [])].join('\n'),
  })
  await call(`auth/token/roles/${name}`, {
    allowed_policies: name,
    orphan: true,
    renewable: false,
    token_type: 'batch',
  })
  const created = await call(`auth/token/create/${name}`, { ttl })
  const token = created.body.auth?.client_token
  if (created.body.auth?.token_type !== 'batch' || !token) throw new Error(`not a batch token: ${created.text}`)
  return token
}

/** A token of the same policy but of type service: refused as a dr_operation_token. */
export async function mintServiceToken(primary: ClusterHandle, policies: string[]): Promise<string> {
  const r = await vault('POST', `${primary.apiUrl}/v1/auth/token/create`, {
    token: primary.rootToken,
    body: { policies },
    caPem: primary.apiCaPem,
  })
  const token = r.body.auth?.client_token
  if (!token) throw new Error(`auth/token/create ${r.status}: ${r.text}`)
  return token
}

export const drCall = (cluster: ClusterHandle, path: string, body: Record<string, unknown> = {}, token?: string) =>
  vault('POST', `${cluster.apiUrl}/v1/sys/replication/dr/${path}`, {
    body,
    caPem: cluster.apiCaPem,
    ...(token && { token }),
  })
