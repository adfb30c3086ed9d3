/**
 * The page's state and its loop, in the browser's JavaScript: the token form, a refresh of every /v1 read every few
 * seconds, one event stream per unfinished handshake, and the detail of what was picked.
 */
export const BOARD_SCRIPT = String.raw`
const REFRESH_MS = 3000
const board = { clusters: [], handshakes: [], succeeded: [], pairs: null, readiness: new Map(), selected: null }
const live = new Map()
const following = new Map()
let timer = null

const shown = (hs) => live.get(hs.id) || hs
const lastWith = (name) => board.handshakes.map(shown).find((hs) => hs.primary === name || hs.secondary === name)

function pairsToShow() {
  const byName = new Map(board.clusters.map((c) => [c.name, c]))
  if (board.pairs) {
    // The clusters' live status too: it shows a cut connection at once, whatever the age of the pairs' view.
    return board.pairs.map((p) => {
      const live = derivedPairHealth(byName.get(p.primary), byName.get(p.secondary), p.secondary_id)
      const readiness = board.readiness.get(p.secondary) || null
      return { primary: p.primary, secondary: p.secondary, health: combined(pairHealth(p), live), readiness, source: p }
    })
  }
  const seen = new Set()
  const pairs = []
  for (const hs of board.succeeded) {
    if (seen.has(hs.secondary)) continue
    seen.add(hs.secondary)
    pairs.push({ primary: hs.primary, secondary: hs.secondary, readiness: null, source: null,
      health: derivedPairHealth(byName.get(hs.primary), byName.get(hs.secondary), hs.secondary_id) })
  }
  return pairs
}

function clusterDetail(name) {
  const c = board.clusters.find((x) => x.name === name)
  if (!c) return null
  const s = c.agent && c.agent.reachable ? c.agent.status : null
  const r = s ? s.replication : null
  const peer = r ? r.primaries[0] : null
  const last = lastWith(name)
  return { title: 'Cluster ' + name, body: [
    facts([['Role', c.role], ['Agent', c.agent_url], ['Vault', s && s.vault.version], ['HA role', s && s.vault.ha_role],
      ['Sealed', s && s.vault.sealed], ['DR mode', r && r.mode], ['DR state', r && r.state],
      ['Connection', r && r.connection_state], ['Last WAL', r && r.last_wal], ['Last remote WAL', r && r.last_remote_wal],
      ['Primary cluster address', r && r.primary_cluster_addr],
      ['Heartbeat age (s)', peer && peer.heartbeat_age_s], ['Checked at', s && when(s.checked_at)]]),
    h('h3', null, 'Health'), reasonList(clusterHealth(c).reasons),
    h('h3', null, last ? 'Checks of its last handshake (' + last.state + ', ' + when(last.created_at) + ')' : 'Checks'),
    checkList(last ? last.checks : []),
  ] }
}

function pairDetail(secondary) {
  const p = pairsToShow().find((x) => x.secondary === secondary)
  if (!p) return null
  const last = lastWith(secondary)
  const body = [h('h3', null, 'Health'), reasonList(p.health.reasons)]
  if (p.source) {
    body.unshift(facts([['Connection', p.source.connection_state], ['Primary sees secondary', p.source.primary_sees_secondary],
      ['Lag (WALs)', p.source.lag.wals], ['Heartbeat age (s)', p.source.heartbeat_age_s],
      ['DR operation token expires', p.source.dr_operation_token && when(p.source.dr_operation_token.expires_at)]]))
  }
  if (p.readiness) body.push(h('h3', null, 'Failover readiness'), checkList(p.readiness.checks))
  if (last) body.push(h('h3', null, 'Checks of its last handshake (' + last.state + ')'), checkList(last.checks))
  return { title: 'Pair ' + p.primary + ' \u2192 ' + p.secondary, body }
}

function handshakeDetail(id) {
  const found = board.handshakes.find((x) => x.id === id) || live.get(id)
  if (!found) return null
  const hs = shown(found)
  return { title: 'Handshake ' + hs.primary + ' \u2192 ' + hs.secondary, body: [
    facts([['Id', hs.id], ['State', hs.state], ['Secondary id', hs.secondary_id], ['Started', when(hs.created_at)],
      ['Finished', hs.finished_at && when(hs.finished_at)], ['Token expires', hs.token && when(hs.token.expires_at)]]),
    hs.error ? h('p', { class: 'fix' }, hs.error.code + ': ' + hs.error.detail + (hs.error.fix ? ' Fix: ' + hs.error.fix : '')) : null,
    h('h3', null, 'Steps'), stepList(hs), h('h3', null, 'Checks'), checkList(hs.checks),
  ] }
}

function render() {
  const handshakes = board.handshakes.map(shown)
  for (const hs of live.values()) if (!handshakes.some((x) => x.id === hs.id)) handshakes.unshift(hs)
  renderPairs(pairsToShow())
  renderClusters(board.clusters)
  renderRunning(handshakes)
  renderHistory(handshakes)
  const pick = board.selected
  const build = pick && { cluster: clusterDetail, pair: pairDetail, handshake: handshakeDetail }[pick.kind]
  renderDetail(build ? build(pick.key) : null)
}

function select(kind, key) {
  board.selected = { kind, key }
  render()
  $('detail-section').scrollIntoView({ behavior: 'smooth', block: 'start' })
}

function onEvent(id, type, data) {
  if (type === 'snapshot' || type === 'done') live.set(id, data)
  else {
    const hs = live.get(id)
    if (!hs) return
    if (type === 'step' && data.step) {
      const at = hs.steps.findIndex((s) => s.name === data.step.name)
      if (at < 0) hs.steps.push(data.step)
      else hs.steps[at] = data.step
    } else if (type === 'state') {
      hs.state = data.state
      if (data.error) hs.error = data.error
    } else if (type === 'checks' && Array.isArray(data.checks)) hs.checks = data.checks
  }
  render()
}

function follow(id) {
  if (following.has(id)) return
  const stop = new AbortController()
  following.set(id, stop)
  followEvents(id, stop.signal, (type, data) => onEvent(id, type, data))
    .catch((err) => {
      if (err instanceof Refused) signOut('The gateway refused the token kept in this tab.')
    })
    .finally(() => following.delete(id))
}

function setUpdated(text, level) {
  $('updated').textContent = text
  $('updated').dataset.health = level
}

async function refresh() {
  clearTimeout(timer)
  try {
    const [clusters, recent, pairs] = await Promise.all([
      api('/v1/clusters'),
      api('/v1/handshakes?limit=50'),
      api('/v1/pairs').catch(() => null),
    ])
    board.pairs = pairs ? pairs.pairs : null
    const [succeeded, readiness] = await Promise.all([
      board.pairs ? null : api('/v1/handshakes?state=succeeded&limit=500'),
      Promise.all((board.pairs || []).map((p) =>
        api('/v1/pairs/' + encodeURIComponent(p.secondary) + '/readiness').catch(() => null))),
    ])
    board.clusters = clusters.clusters
    board.handshakes = recent.handshakes
    board.succeeded = succeeded ? succeeded.handshakes : []
    board.readiness = new Map((board.pairs || []).map((p, i) => [p.secondary, readiness[i]]))
    for (const hs of board.handshakes) {
      if (!finished(hs)) follow(hs.id)
      else if (!following.has(hs.id)) live.delete(hs.id)
    }
    render()
    setUpdated('Updated ' + new Date().toLocaleTimeString(), 'ok')
  } catch (err) {
    if (err instanceof Refused) return signOut('The gateway refused the token kept in this tab.')
    setUpdated('Gateway unreachable: ' + err.message, 'bad')
  } finally {
    if (token) timer = setTimeout(refresh, REFRESH_MS)
  }
}

function signOut(message) {
  token = null
  sessionStorage.removeItem(TOKEN_KEY)
  clearTimeout(timer)
  for (const stop of following.values()) stop.abort()
  following.clear()
  live.clear()
  $('board').hidden = true
  $('forget').hidden = true
  $('login').hidden = false
  $('login-error').textContent = message
  setUpdated('', '')
}

function showBoard() {
  $('login').hidden = true
  $('board').hidden = false
  $('forget').hidden = false
  refresh()
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault()
  const typed = $('token').value.trim()
  $('token').value = ''
  if (!typed) return
  token = typed
  try {
    await api('/v1/clusters?live=false')
    sessionStorage.setItem(TOKEN_KEY, typed)
    $('login-error').textContent = ''
    showBoard()
  } catch (err) {
    token = null
    $('login-error').textContent = err instanceof Refused
      ? 'The gateway refused this token.'
      : 'The gateway could not be asked: ' + err.message
  }
})
$('forget').addEventListener('click', () => signOut(''))
if (token) showBoard()
else signOut('')
`
