import { problemResponse } from '@vault-dr/core'
import type { RouteOptions } from 'fastify'
import { storeFull, storeRefused, storeUnavailable } from './etcd-errors.ts'

const WHY = `gateway's etcd store has no quorum it can reach, or did not answer in time (${storeUnavailable.code}), or refuses writes (${storeFull.code}: its space quota used up; ${storeRefused.code}: permission, size): what was asked may not have been recorded; read it back before asking again`

/**
 * Every /v1 route reads or writes the store, so each may answer 503 when an etcd store has no quorum this gateway
 * reaches: documented on each (joined to a 503 the route declares for another reason).
 */
export function documentStoreUnavailable(route: RouteOptions): void {
  const response = route.schema?.response as Record<string, { description?: string }> | undefined
  if (response === undefined) return
  const own = response[503]?.description
  const description = own === undefined ? `The ${WHY}` : `${own}; or the ${WHY}`
  route.schema = { ...route.schema, response: { ...response, 503: problemResponse(description) } }
}
