import { problemResponse } from '@vault-dr/core'

/** What a route that relays a call to an agent answers when the agent fails, refuses or does not answer. */
export const agentProblemResponses = {
  502: problemResponse(
    "The agent could not be reached (GATEWAY_ERR_AGENT_UNREACHABLE) or failed (GATEWAY_ERR_AGENT_FAILED, the agent's problem in upstream: its Vault failing, sealed or refusing)",
  ),
  504: problemResponse('The agent did not answer in time (GATEWAY_ERR_AGENT_TIMEOUT)'),
} as const
