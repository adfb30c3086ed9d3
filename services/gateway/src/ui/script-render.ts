/**
 * The page's drawing, in the browser's JavaScript: pairs and clusters as cards coloured by health, the handshakes
 * running now with their steps, the history, and the detail of what was picked. Text goes in as text nodes only.
 */
export const RENDER_SCRIPT = String.raw`
const $ = (id) => document.getElementById(id)
const FINISHED = ['succeeded', 'failed', 'cancelled']
const finished = (hs) => FINISHED.includes(hs.state)
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '-')

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

function stepList(hs) {
  return h('ol', { class: 'steps' }, hs.steps.map((s) =>
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
  if (pairs.length === 0) return target.replaceChildren(h('p', { class: 'muted' }, 'No pair yet: a handshake makes one.'))
  target.replaceChildren(h('div', { class: 'cards' }, pairs.map((p) =>
    card({ 'data-pair': p.secondary, onclick: () => select('pair', p.secondary) }, p.health, p.primary + ' \u2192 ' + p.secondary,
      p.readiness ? h('div', { 'data-ready': String(p.readiness.ready) }, 'Failover readiness: ',
        badge(p.readiness.ready ? 'ok' : 'warn', p.readiness.ready ? 'ready' : 'not ready'),
        reasonList(readinessGaps(p.readiness).slice(0, 2))) : null))))
}

function renderClusters(clusters) {
  const target = $('clusters')
  if (clusters.length === 0) return target.replaceChildren(h('p', { class: 'muted' }, 'No cluster registered.'))
  target.replaceChildren(h('div', { class: 'cards' }, clusters.map((c) => {
    const status = c.agent && c.agent.reachable ? c.agent.status : null
    const facts = status
      ? [status.vault.version, status.replication ? 'DR ' + status.replication.mode : null,
        status.replication && status.replication.state].filter(Boolean).join(' \u00b7 ')
      : ''
    return card({ 'data-cluster': c.name, onclick: () => select('cluster', c.name) }, clusterHealth(c), c.name + ' (' + c.role + ')',
      facts ? h('div', { class: 'muted' }, facts) : null)
  })))
}

function renderRunning(handshakes) {
  const running = handshakes.filter((hs) => !finished(hs))
  if (running.length === 0) return $('running').replaceChildren(h('p', { class: 'muted' }, 'No handshake running.'))
  $('running').replaceChildren(h('div', { class: 'cards' }, running.map((hs) =>
    h('div', { class: 'card', 'data-handshake': hs.id, 'data-state': hs.state, 'data-health': 'warn', onclick: () => select('handshake', hs.id) },
      h('div', { class: 'title' }, h('span', null, hs.primary + ' \u2192 ' + hs.secondary), badge(hs.state)),
      h('div', { class: 'muted' }, 'Started ' + when(hs.created_at)), stepList(hs)))))
}

function renderHistory(handshakes) {
  if (handshakes.length === 0) return $('history').replaceChildren(h('p', { class: 'muted' }, 'No handshake yet.'))
  $('history').replaceChildren(h('table', null,
    h('thead', null, h('tr', null, h('th', null, 'Started'), h('th', null, 'Pair'), h('th', null, 'State'),
      h('th', { class: 'hide-narrow' }, 'Outcome'))),
    h('tbody', null, handshakes.map((hs) =>
      h('tr', { 'data-handshake': hs.id, 'data-state': hs.state, onclick: () => select('handshake', hs.id) },
        h('td', null, when(hs.created_at)), h('td', null, hs.primary + ' \u2192 ' + hs.secondary), h('td', null, badge(hs.state)),
        h('td', { class: 'hide-narrow' }, hs.error ? hs.error.code : hs.steps.filter((s) => s.status === 'succeeded').length + '/' + hs.steps.length + ' steps'))))))
}

function facts(pairs) {
  return h('dl', null, pairs.filter((p) => p[1] !== null && p[1] !== undefined && p[1] !== '')
    .flatMap((p) => [h('dt', null, p[0]), h('dd', null, String(p[1]))]))
}

function renderDetail(detail) {
  $('detail-section').hidden = detail === null
  if (detail === null) return
  $('detail-title').textContent = detail.title
  $('detail').replaceChildren(...detail.body.filter(Boolean))
}
`
