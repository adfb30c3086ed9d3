import { describe, expect, it } from 'vitest'
import { agentUrlWarning } from './agent-url-warning.ts'

describe('the warning on an agent_url', () => {
  it('warns of plain http to another machine, naming what would cross in clear and the fix', () => {
    const warning = agentUrlWarning('http://agent.dc1.example:8410')
    expect(warning).toContain('plain http to another machine')
    expect(warning).toContain('DR operation tokens and key shares')
    expect(warning).toContain('VAULT_DR_TLS_CERT')
    expect(agentUrlWarning('http://10.0.0.5:8410')).not.toBeNull()
  })

  it('says nothing of https, nor of an agent on the loopback (the demo, a local TLS sidecar)', () => {
    for (const url of [
      'https://agent.dc1.example:8410',
      'http://127.0.0.1:8410',
      'http://127.0.2.1:8420',
      'http://localhost:8410',
      'http://[::1]:8410',
    ]) {
      expect(agentUrlWarning(url), url).toBeNull()
    }
  })
})
