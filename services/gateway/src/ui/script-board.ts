/**
 * The page's state and its loop, in the browser's JavaScript: the token form, a refresh of every /v1 read every few
 * seconds, one event stream per unfinished operation (every kind), and the detail of what was picked (a pair's with
 * the plan a failover would follow, asked again at each refresh while it is shown).
 */
export const BOARD_SCRIPT = String.raw`
const REFRESH_MS = 3000
/**
 * The event streams held at once: a browser opens about six connections to one host, shared by its tabs, and each
 * stream holds one; the other unfinished operations are shown from the refresh's reads.
 */
const MAX_STREAMS = 2
const board = { clusters: [], operations: [], pairs: null, pairsError: null, readiness: new Map(), plans: new Map(), selected: null }
const live = new Map()
const following = new Map()
const planAsked = new Set()
/** Counts sign-ins: an answer asked for before the last sign-out is dropped. */
let session = 0
let timer = null

const shown = (op) => live.get(op.id) || op
const handshakes = () => board.operations.map(shown).filter((op) => op.kind === 'handshake')
const lastWith = (name) => handshakes().find((op) => op.subject.primary === name || op.subject.secondary === name)
/** The last handshake that joined this very pair (one of the other way, or with another cluster, says nothing of it). */
const lastJoining = (primary, secondary) =>
  handshakes().find((op) => op.subject.primary === primary && op.subject.secondary === secondary)
const checksOf = (op) => (op && op.result && Array.isArray(op.result.checks) ? op.result.checks : [])

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
  for (const { subject: hs } of handshakes().filter((op) => op.state === 'succeeded')) {
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
    facts([['Role', c.role], ['Fenced by failover', c.fence && !c.fence.pending && c.fence.failover_id], ['Agent', c.agent_url], ['Vault', s && s.vault.version], ['HA role', s && s.vault.ha_role],
      ['Sealed', s && s.vault.sealed], ['DR mode', r && r.mode], ['DR state', r && r.state],
      ['Connection', r && r.connection_state], ['Last WAL', r && r.last_wal], ['Last remote WAL', r && r.last_remote_wal],
      ['Primary cluster address', r && r.primary_cluster_addr],
      ['Heartbeat age (s)', peer && peer.heartbeat_age_s], ['Checked at', s && when(s.checked_at)]]),
    h('h3', null, 'Health'), reasonList(clusterHealth(c).reasons),
    h('h3', null, last ? 'Checks of its last handshake (' + last.state + ', ' + when(last.created_at) + ')' : 'Checks'),
    checkList(checksOf(last)),
  ] }
}

function pairDetail(secondary) {
  const p = pairsToShow().find((x) => x.secondary === secondary)
  if (!p) return null
  const last = lastJoining(p.primary, secondary)
  const body = [h('h3', null, 'Health'), reasonList(p.health.reasons)]
  if (p.source) {
    body.unshift(facts([['Connection', p.source.connection_state], ['Primary sees secondary', p.source.primary_sees_secondary],
      ['Lag (WALs)', p.source.lag.wals], ['Heartbeat age (s)', p.source.heartbeat_age_s],
      ['DR operation token expires', p.source.dr_operation_token && when(p.source.dr_operation_token.expires_at)]]))
  }
  if (p.readiness && p.readiness.error) body.push(h('h3', null, 'Failover readiness'), h('p', { class: 'fix' }, p.readiness.error))
  else if (p.readiness) body.push(h('h3', null, 'Failover readiness'), checkList(p.readiness.checks))
  if (last) body.push(h('h3', null, 'Checks of its last handshake (' + last.state + ')'), checkList(checksOf(last)))
  if (p.source) body.push(h('h3', null, 'If it failed over now'), planView(board.plans.get(secondary)))
  return { title: 'Pair ' + p.primary + ' \u2192 ' + p.secondary, body }
}

function operationDetail(id) {
  const found = board.operations.find((x) => x.id === id) || live.get(id)
  if (!found) return null
  const op = shown(found)
  const token = op.kind === 'handshake' && op.result ? op.result.token : null
  const result = op.kind === 'handshake' ? {} : op.result || {}
  const report = reportOf(op)
  return { title: op.kind[0].toUpperCase() + op.kind.slice(1) + ' ' + operationLabel(op), body: [
    facts([['Id', op.id], ['State', op.state], ['Clusters', op.clusters.join(', ')], ['Started', when(op.created_at)],
      ['Finished', op.finished_at && when(op.finished_at)], ['Cancel requested', op.cancel_requested ? 'yes' : null],
      ['Token expires', token ? when(token.expires_at) : null],
      ['Writes refused', typeof result.write_unavailable_ms === 'number' ? result.write_unavailable_ms + ' ms' : null],
      ['WALs lost', typeof result.wals_lost === 'number' ? result.wals_lost : null],
      ['Drill verdict', report ? report.verdict : null],
      ['Findings', report && report.findings.length > 0 ? report.findings.join('; ') : null]]),
    op.error ? h('p', { class: 'fix' }, op.error.code + ': ' + op.error.detail + (op.error.fix ? ' Fix: ' + op.error.fix : '')) : null,
    h('h3', null, 'Steps'), stepList(op),
    checksOf(op).length > 0 ? [h('h3', null, 'Checks'), checkList(checksOf(op))] : null,
  ] }
}

function render() {
  const operations = board.operations.map(shown)
  for (const op of live.values()) if (!operations.some((x) => x.id === op.id)) operations.unshift(op)
  renderPairs(pairsToShow())
  renderClusters(board.clusters)
  renderRunning(operations)
  renderHistory(operations)
  const pick = board.selected
  const build = pick && { cluster: clusterDetail, pair: pairDetail, operation: operationDetail }[pick.kind]
  renderDetail(build ? build(pick.key) : null)
}

/** Asks what a failover to this secondary would do now; the answer is kept until the next ask. */
function askPlan(secondary) {
  // One question at a time per pair: a plan reads both agents and probes from the secondary's site, and may take long.
  if (planAsked.has(secondary)) return
  planAsked.add(secondary)
  const asked = session
  // A plan reads both agents and probes from the secondary's site: the gateway gives it up to 30 s.
  api('/v1/failovers/plan', { to: secondary }, PLAN_TIMEOUT_MS)
    .then((plan) => asked === session && board.plans.set(secondary, plan), (err) => {
      if (asked !== session) return
      if (err instanceof Refused) return signOut('The gateway refused the token kept in this tab.')
      board.plans.set(secondary, { error: err.message })
    })
    .finally(() => asked === session && planAsked.delete(secondary))
    .then(() => board.selected && board.selected.key === secondary && render())
}

function select(kind, key) {
  board.selected = { kind, key }
  if (kind === 'pair') askPlan(key)
  if (kind === 'operation') keepStreams()
  render()
  $('detail-section').scrollIntoView({ behavior: 'smooth', block: 'start' })
}

function onEvent(id, type, data) {
  if (type === 'snapshot' || type === 'done') live.set(id, data)
  else {
    const op = live.get(id)
    if (!op) return
    if (type === 'step' && data.step) {
      const at = op.steps.findIndex((s) => s.name === data.step.name)
      if (at < 0) op.steps.push(data.step)
      else op.steps[at] = data.step
    } else if (type === 'state') {
      op.state = data.state
      if (data.error) op.error = data.error
    } else if (type === 'checks' && Array.isArray(data.checks) && op.kind === 'handshake')
      op.result = Object.assign({}, op.result, { checks: data.checks })
  }
  render()
}

/**
 * Streams the selected operation and the newest unfinished ones, MAX_STREAMS in all, and stops the others. A streamed
 * copy takes from the refresh's read what no event says (a cancel asked for).
 */
function keepStreams() {
  const unfinished = board.operations.filter((op) => !finished(op)).map((op) => op.id)
  const picked = board.selected && board.selected.kind === 'operation' ? board.selected.key : null
  const wanted = new Set([...(unfinished.includes(picked) ? [picked] : []), ...unfinished].slice(0, MAX_STREAMS))
  for (const [id, stop] of following) if (!wanted.has(id)) stop.abort()
  for (const id of wanted) follow(id)
  for (const op of board.operations) {
    const streamed = live.get(op.id)
    if (!streamed) continue
    // Not streamed any more, or finished: the read is the whole truth. Streamed: the read adds what no event says.
    if (!wanted.has(op.id) || finished(op)) live.set(op.id, op)
    else streamed.cancel_requested = op.cancel_requested
    if (finished(op) && !following.has(op.id)) live.delete(op.id)
  }
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
    let pairsError = null
    const [clusters, recent, pairs] = await Promise.all([
      api('/v1/clusters'),
      api('/v1/operations?limit=100'),
      api('/v1/pairs').catch((err) => {
        if (err instanceof Refused) throw err
        pairsError = err.message
        return null
      }),
    ])
    board.pairs = pairs ? pairs.pairs : null
    board.pairsError = pairsError
    const readiness = await Promise.all((board.pairs || []).map((p) =>
      api('/v1/pairs/' + encodeURIComponent(p.secondary) + '/readiness').catch((err) => {
        if (err instanceof Refused) throw err
        return { error: 'the gateway could not judge it: ' + err.message }
      })))
    board.clusters = clusters.clusters
    board.operations = recent.operations
    board.readiness = new Map((board.pairs || []).map((p, i) => [p.secondary, readiness[i]]))
    keepStreams()
    if (board.selected && board.selected.kind === 'pair') askPlan(board.selected.key)
    render()
    const at = new Date().toLocaleTimeString(undefined, { timeZoneName: 'short' })
    if (pairsError) setUpdated('Updated ' + at + '; pairs not read: ' + pairsError, 'warn')
    else setUpdated('Updated ' + at, 'ok')
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
  board.plans.clear()
  planAsked.clear()
  session += 1
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
