/**
 * The page's drawing, in the browser's JavaScript: pairs and clusters as cards coloured by health, the operations of
 * every kind running now with their steps, the history, a failover plan, and the detail of what was picked. Text goes
 * in as text nodes only.
 */
export const RENDER_SCRIPT = String.raw`
const $ = (id) => document.getElementById(id)
const FINISHED = ['succeeded', 'failed', 'cancelled']
const finished = (op) => FINISHED.includes(op.state)
const when = (iso) => (iso ? new Date(iso).toLocaleString(undefined, { timeZoneName: 'short' }) : '-')

function h(tag, attrs, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue
    if (typeof value === 'function') node.addEventListener(name.replace(/^on/, ''), value)
    else node.setAttribute(name, String(value))
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) node.append(child)
  }
  return node
}

/**
 * Shows these nodes in target, only when they differ from what it shows: a refresh that finds nothing new leaves the
 * DOM alone, and with it text the operator is selecting or a card that has the focus.
 */
function show(target, ...nodes) {
  const next = document.createElement('div')
  next.append(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false))
  if (next.innerHTML !== target.innerHTML) target.replaceChildren(...next.childNodes)
}

const badge = (level, text) => h('span', { class: 'badge', 'data-level': level }, text || level)

function reasonList(reasons) {
  return h('ul', { class: 'reasons' }, reasons.map((r) =>
    h('li', { 'data-level': r.level }, r.text, r.fix ? h('div', { class: 'fix' }, 'Fix: ' + r.fix) : null)))
}

function checkList(checks) {
  if (!checks || checks.length === 0) return h('p', { class: 'muted' }, 'No checks recorded.')
  return h('ul', { class: 'checks' }, checks.map((c) =>
    h('li', { 'data-check': c.name, 'data-status': c.status }, badge(c.status), ' ', h('strong', null, c.name),
      c.source ? h('span', { class: 'muted' }, ' ' + c.source + (c.phase && c.phase !== 'preflight' ? ', ' + c.phase.replace(/_/g, ' ') : '')) : null,
      ' ', c.code && c.code !== 'OK' ? '(' + c.code + ') ' : '', c.detail,
      c.fix ? h('div', { class: 'fix' }, 'Fix: ' + c.fix) : null)))
}

function stepList(op) {
  return h('ol', { class: 'steps' }, op.steps.map((s) =>
    h('li', { 'data-step': s.name, 'data-status': s.status }, s.name.replace(/_/g, ' '), ' ', badge(s.status),
      s.detail ? h('div', { class: 'muted' }, s.detail) : null,
      s.error ? h('div', { class: 'fix' }, s.error.code + ': ' + s.error.detail + (s.error.fix ? ' Fix: ' + s.error.fix : ''))
        : null)))
}

function card(attrs, health, title, ...body) {
  return h('div', Object.assign({ class: 'card', 'data-health': health.level, tabindex: '0', role: 'button' }, attrs),
    h('div', { class: 'title' }, h('span', null, title), badge(health.level, health.level === 'bad' ? 'down' : health.level)),
    body, reasonList(health.reasons.slice(0, 3)))
}

function renderPairs(pairs) {
  const target = $('pairs')
  // A cluster a failover went away from is in no pair until it rejoins: said where its pair would be.
  const fenced = board.clusters.filter((c) => c.fence && !c.fence.pending).map((c) =>
    h('p', { class: 'fix', 'data-fenced': c.name }, c.name + ' is fenced (' + c.fence.new_primary +
      ' took its place): in no pair until a rejoin (vault-dr rejoin ' + c.name + ')'))
  if (pairs.length === 0)
    return show(target, h('div', null, h('p', { class: 'muted' }, 'No pair yet: a handshake makes one.'), fenced))
  show(target, h('div', null, fenced, h('div', { class: 'cards' }, pairs.map((p) =>
    card({ 'data-pair': p.secondary, onclick: () => select('pair', p.secondary) }, p.health, p.primary + ' \u2192 ' + p.secondary,
      p.readiness && p.readiness.error ? h('div', { 'data-ready': 'unknown' }, 'Failover readiness: ',
        badge('warn', 'unknown'), reasonList([reason('warn', p.readiness.error)]))
      : p.readiness ? h('div', { 'data-ready': String(p.readiness.ready) }, 'Failover readiness: ',
        badge(p.readiness.ready ? 'ok' : 'warn', p.readiness.ready ? 'ready' : 'not ready'),
        reasonList(readinessGaps(p.readiness).slice(0, 2))) : null)))))
}

function renderClusters(clusters) {
  const target = $('clusters')
  if (clusters.length === 0) return show(target, h('p', { class: 'muted' }, 'No cluster registered.'))
  show(target, h('div', { class: 'cards' }, clusters.map((c) => {
    const status = c.agent && c.agent.reachable ? c.agent.status : null
    const facts = status
      ? [status.vault.version, status.replication ? 'DR ' + status.replication.mode : null,
        status.replication && status.replication.state].filter(Boolean).join(' \u00b7 ')
      : ''
    return card({ 'data-cluster': c.name, onclick: () => select('cluster', c.name) }, clusterHealth(c), c.name + ' (' + c.role + ')',
      facts ? h('div', { class: 'muted' }, facts) : null)
  })))
}

/** What an operation is about, in a few words: the pair of a handshake, the way a role change goes. */
function operationLabel(op) {
  const s = op.subject || {}
  if (op.kind === 'handshake') return s.primary + ' \u2192 ' + s.secondary
  if (op.kind === 'rejoin') return s.cluster + ' rejoins ' + s.primary
  if (s.from || s.to) return (s.from || '?') + ' \u2192 ' + (s.to || '?')
  return op.clusters.join(', ')
}

function renderRunning(operations) {
  const running = operations.filter((op) => !finished(op))
  if (running.length === 0) return show($('running'), h('p', { class: 'muted' }, 'No operation running.'))
  show($('running'), h('div', { class: 'cards' }, running.map((op) =>
    h('div', { class: 'card', 'data-operation': op.id, 'data-kind': op.kind, 'data-state': op.state, 'data-health': 'warn',
      onclick: () => select('operation', op.id) },
      h('div', { class: 'title' }, h('span', null, op.kind + ' ' + operationLabel(op)), badge(op.state)),
      h('div', { class: 'muted' }, 'Started ' + when(op.created_at)), stepList(op)))))
}

function renderHistory(operations) {
  if (operations.length === 0) return show($('history'), h('p', { class: 'muted' }, 'No operation yet.'))
  show($('history'), h('table', null,
    h('thead', null, h('tr', null, h('th', null, 'Started'), h('th', null, 'Kind'), h('th', null, 'Clusters'),
      h('th', null, 'State'), h('th', { class: 'hide-narrow' }, 'Outcome'))),
    h('tbody', null, operations.map((op) =>
      h('tr', { 'data-operation': op.id, 'data-kind': op.kind, 'data-state': op.state, onclick: () => select('operation', op.id) },
        h('td', null, when(op.created_at)), h('td', null, op.kind), h('td', null, operationLabel(op)), h('td', null, badge(op.state)),
        h('td', { class: 'hide-narrow' }, outcomeOf(op)))))))
}

/** A drill's report, when the operation is a drill that has one. */
function reportOf(op) {
  return op.kind === 'drill' && op.result && op.result.report ? op.result.report : null
}

/** How an operation ended, in a few words: its error's code, a drill's failed verdict, else its steps done. */
function outcomeOf(op) {
  if (op.error) return op.error.code
  const report = reportOf(op)
  if (report && report.verdict === 'failed') return 'verdict failed: ' + report.findings.join('; ')
  return op.steps.filter((s) => s.status === 'succeeded').length + '/' + op.steps.length + ' steps'
}

/** POST /v1/failovers/plan's answer: what a failover to this secondary would find and do now. */
function planView(plan) {
  if (!plan) return h('p', { class: 'muted', 'data-plan': 'loading' }, 'Asking the gateway for the plan\u2026')
  if (plan.error) return h('p', { class: 'fix', 'data-plan': 'error' }, 'No plan: ' + plan.error)
  const loss = plan.data_loss
  return h('div', { 'data-plan': plan.allowed ? 'allowed' : 'refused', 'data-verdict': plan.primary_verdict },
    facts([['Would start now', plan.allowed ? 'yes' : 'no'],
      ['Refused', plan.refusal && plan.refusal.code + ': ' + plan.refusal.detail + (plan.refusal.fix ? ' Fix: ' + plan.refusal.fix : '')],
      ['Primary ' + plan.primary, plan.primary_verdict.replace(/_/g, ' ')],
      ['Data loss', (loss.wals === null ? 'unknown' : loss.wals + ' WALs') + ': ' + loss.detail],
      ['DR operation token', plan.dr_operation_token.source || 'none'],
      ['Followers', plan.followers.join(', ') || 'none']]),
    h('h4', null, 'Vantage points'),
    h('ul', { class: 'checks' }, plan.vantage_points.map((v) =>
      h('li', { 'data-vantage': v.point }, badge(v.reaches === null ? 'unknown' : v.reaches ? 'ok' : 'bad',
        v.reaches === null ? 'cannot tell' : v.reaches ? 'reaches' : 'cannot reach'), ' ', h('strong', null, v.point.replace(/_/g, ' ')),
        ' ', v.detail, h('span', { class: 'muted' }, ' since ' + when(v.since))))),
    h('h4', null, 'Steps it would run'),
    h('ol', { class: 'steps' }, plan.steps.map((name) => h('li', { 'data-plan-step': name }, name.replace(/_/g, ' ')))),
    h('h4', null, 'Checks'), checkList(plan.items))
}

function facts(pairs) {
  return h('dl', null, pairs.filter((p) => p[1] !== null && p[1] !== undefined && p[1] !== '')
    .flatMap((p) => [h('dt', null, p[0]), h('dd', null, String(p[1]))]))
}

function renderDetail(detail) {
  $('detail-section').hidden = detail === null
  if (detail === null) return
  $('detail-title').textContent = detail.title
  show($('detail'), detail.body)
}
`
