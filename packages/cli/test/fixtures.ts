import type { components } from '@vault-dr/gateway/openapi'

type Handshake = components['schemas']['Handshake']
type Step = Handshake['steps'][number]
type Check = components['schemas']['PreflightCheck']

const STEPS = ['preflight', 'enable_primary', 'mint_token', 'inspect_token', 'activate_secondary', 'verify'] as const
const AT = '2026-12-04T10:00:00.000Z'

export function step(name: Step['name'], status: Step['status'], detail: string | null = null): Step {
  const done = status === 'succeeded' || status === 'failed'
  return {
    name,
    status,
    started_at: status === 'pending' ? null : AT,
    finished_at: done ? AT : null,
    detail,
    error: null,
  }
}

export function check(name: string, status: Check['status'], code: string, fix: string | null = null): Check {
  return { name, status, code, detail: `${name} ${code}`, fix, source: 'gateway', phase: 'preflight', latency_ms: 1 }
}

/** A handshake whose first `done` steps succeeded and whose next one is `current`. */
export function handshake(state: Handshake['state'], done: number, extra: Partial<Handshake> = {}): Handshake {
  return {
    id: 'hs-1',
    state,
    primary: 'dc1',
    secondary: 'dc2',
    secondary_id: 'dc2',
    options: {
      token_ttl: '5m',
      inspect: true,
      skip_checks: [],
      allow_repoint: false,
      primary_cluster_addr: null,
      primary_api_addr: null,
    },
    steps: STEPS.map((name, i) =>
      step(name, i < done ? 'succeeded' : i === done && state === 'running' ? 'running' : 'pending'),
    ),
    checks: [],
    token: null,
    error: null,
    cancel_requested: false,
    created_at: AT,
    updated_at: AT,
    finished_at: state === 'running' || state === 'pending' ? null : AT,
    ...extra,
  }
}
