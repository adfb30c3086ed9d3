/**
 * The page's health rules, in the browser's JavaScript: a cluster's health from its fleet view, a pair's from the
 * pairs API when the gateway has it, else from its two clusters. Each gives a level (ok, warn, bad, unknown) and the
 * reasons, each with a fix where there is one. Plain functions of their input, tested in Node (status-page.test.ts).
 */
export const HEALTH_SCRIPT = `
const LEVELS = ['ok', 'unknown', 'warn', 'bad']
const worst = (a, b) => (LEVELS.indexOf(a) >= LEVELS.indexOf(b) ? a : b)
const reason = (level, text, fix) => ({ level, text, fix: fix || null })
const HEARTBEAT_STALE_S = 30

function verdict(reasons, okText) {
  const level = reasons.reduce((l, r) => worst(l, r.level), 'ok')
  return { level, reasons: reasons.length > 0 ? reasons : [reason('ok', okText)] }
}

/** What stops a cluster from being asked: its agent, its Vault, its seal. Empty when it answered. */
function reachability(c) {
  const a = c.agent
  if (!a) return [reason('unknown', 'Not asked for its live status')]
  if (!a.reachable)
    return [reason('bad', 'Agent unreachable: ' + a.error.code + ': ' + a.error.detail,
      'Check that the agent runs and that the gateway reaches ' + c.agent_url)]
  const v = a.status.vault
  if (!v.reachable)
    return [reason('bad', 'Vault unreachable from its agent' + (v.error ? ': ' + v.error : ''),
      'Check Vault at ' + v.address + ' and the agent' + "'" + 's VAULT_ADDR')]
  if (v.sealed) return [reason('bad', 'Vault is sealed', 'Unseal the cluster')]
  if (!a.status.replication) return [reason('bad', 'Vault did not say its DR replication status')]
  return []
}

/** The agent's own check of its Vault token (status reads need none): a failed one fails every change asked of it. */
function tokenReasons(c) {
  const t = c.agent.vault_token
  if (!t || t.status === 'pass') return []
  return [reason(t.status === 'fail' ? 'bad' : 'warn', 'The agent' + "'" + 's Vault token: ' + t.code + ': ' + t.detail, t.fix)]
}

function clusterHealth(c) {
  // Failed away from: what it needs is a rejoin, whatever its agent reads (its role stays until then).
  if (c.fence && !c.fence.pending) {
    const now = c.fence.demoted_at ? 'demoted' : 'not demoted yet: it is demoted as soon as its agent answers'
    return verdict([reason('bad', 'Fenced: failover ' + c.fence.failover_id + ' promoted ' + c.fence.new_primary +
      ' in its place; ' + now, 'Once it is demoted, a rejoin makes it ' + c.fence.new_primary +
      "'s DR secondary without a wipe: vault-dr rejoin " + c.name)])
  }
  const blocked = reachability(c)
  if (blocked.length > 0) return verdict(blocked)
  const r = c.agent.status.replication
  const reasons = tokenReasons(c)
  if (c.role === 'primary') {
    if (r.mode !== 'primary')
      return verdict([...reasons, reason('warn', 'DR mode is ' + r.mode + ', not primary', 'A handshake enables DR on it')])
    const down = r.secondaries.filter((s) => s.connection_status !== null && s.connection_status !== 'connected')
    for (const s of down)
      reasons.push(reason('bad', 'Secondary ' + (s.node_id || '?') + ' is ' + s.connection_status,
        "Check that the secondary reaches this cluster's port (" + (s.cluster_address || 'tcp/8201') + ')'))
    if (r.secondaries.length === 0 && r.known_secondaries.length === 0)
      reasons.push(reason('warn', 'No DR secondary yet', 'A handshake adds one'))
    return verdict(reasons, 'DR primary, ' + r.secondaries.length + ' secondary connected')
  }
  if (r.mode !== 'secondary')
    return verdict([...reasons, reason('warn', 'DR mode is ' + r.mode + ', not secondary', 'A handshake activates it')])
  if (r.connection_state !== 'ready')
    reasons.push(reason('bad', 'Connection to the primary: ' + (r.connection_state || 'unknown'),
      "Check that the primary's cluster port (" + (r.primary_cluster_addr || 'tcp/8201') + ') is reachable from here'))
  const p = r.primaries[0]
  if (p && p.connection_status === 'disconnected' && r.connection_state === 'ready')
    reasons.push(reason('bad', 'The primary shows as disconnected'))
  if (p && p.heartbeat_age_s !== null && p.heartbeat_age_s > HEARTBEAT_STALE_S)
    reasons.push(reason('warn', 'Last heartbeat ' + p.heartbeat_age_s + ' s ago'))
  return verdict(reasons, 'Streaming from the primary' + (r.state ? ' (' + r.state + ')' : ''))
}

/** A pair from its two clusters' views, when the gateway has no pairs API: the secondary's link and the primary. */
function derivedPairHealth(primary, secondary, secondaryId) {
  if (!primary || !secondary) return verdict([reason('unknown', 'A cluster of this pair is no longer registered')])
  const reasons = reachability(primary).map((r) => reason(r.level, 'Primary: ' + r.text, r.fix))
  const s = clusterHealth(secondary)
  if (s.level !== 'ok') for (const r of s.reasons) reasons.push(reason(r.level, 'Secondary: ' + r.text, r.fix))
  if (reasons.length === 0) {
    const seen = primary.agent.status.replication.secondaries.find((x) => x.node_id === secondaryId)
    if (seen && seen.connection_status !== 'connected')
      reasons.push(reason('bad', 'The primary sees ' + secondaryId + ' as ' + seen.connection_status))
  }
  return verdict(reasons, 'Connected and streaming')
}

/** A pair as GET /v1/pairs gives it. */
function pairHealth(p) {
  const reasons = []
  for (const side of ['primary', 'secondary']) {
    const c = p.clusters[side]
    if (!c.agent_reachable)
      reasons.push(reason('bad', side + ' agent unreachable' + (c.error ? ': ' + c.error.code + ': ' + c.error.detail : '')))
    else if (c.vault_reachable === false) reasons.push(reason('bad', side + ' Vault unreachable'))
    else if (c.sealed) reasons.push(reason('bad', side + ' Vault is sealed', 'Unseal the cluster'))
  }
  if (p.connection_state !== 'ready')
    reasons.push(reason('bad', 'Connection to the primary: ' + (p.connection_state || 'unknown'),
      "Check that the primary's cluster port is reachable from the secondary"))
  if (p.primary_sees_secondary !== null && p.primary_sees_secondary !== 'connected')
    reasons.push(reason('bad', 'The primary sees the secondary as ' + p.primary_sees_secondary))
  if (p.merkle_corrupted)
    reasons.push(reason('bad', "The secondary's merkle tree is corrupted",
      "Run Vault's merkle-check on the secondary, then reindex it"))
  const token = p.dr_operation_token
  if (token && Date.parse(token.expires_at) <= Date.now())
    reasons.push(reason('bad', 'The DR operation token expired at ' + new Date(token.expires_at).toLocaleString(),
      'vault-dr dr-token rotate ' + p.secondary))
  if (p.heartbeat_age_s !== null && p.heartbeat_age_s > HEARTBEAT_STALE_S)
    reasons.push(reason('warn', 'Last heartbeat ' + p.heartbeat_age_s + ' s ago'))
  return verdict(reasons, 'Connected and streaming' + (p.lag.wals !== null ? ', ' + p.lag.wals + ' WALs behind' : ''))
}

/** The failed checks of a pair's failover readiness (GET /v1/pairs/{secondary}/readiness), as amber reasons. */
function readinessGaps(readiness) {
  if (!readiness || readiness.ready) return []
  return readiness.checks
    .filter((c) => c.status === 'fail')
    .map((c) => reason('warn', 'Not ready to fail over: ' + c.name + ': ' + c.detail, c.fix))
}

/** The worse of two views of one pair (the pairs API's and the clusters' live status), their reasons together. */
function combined(a, b) {
  if (a.level === 'ok' && b.level === 'ok') return a
  const texts = new Set()
  const reasons = a.reasons.concat(b.reasons).filter((r) => r.level !== 'ok' && !texts.has(r.text) && texts.add(r.text))
  return verdict(reasons)
}
`
