import { problemResponse } from '@vault-dr/core'
import type { RouteOptions } from 'fastify'
import { storeFull, storeRefused, storeUnavailable } from './etcd-errors.ts'

const WHY = `gateway's store cannot be reached (${storeUnavailable.code}: no etcd quorum this gateway reaches, no answer in time, or a SQLite file locked by another process), or refuses writes (${storeFull.code}: etcd's space quota or the SQLite file's disk used up; ${storeRefused.code}: etcd's permission or size limits, a read-only or damaged SQLite file): what was asked may not have been recorded; read it back before asking again`

/**
 * Every /v1 route reads or writes the store, so each may answer 503 when the store cannot be reached or refuses
 * writes: documented on each (joined to a 503 the route declares for another reason).
 */
export function documentStoreUnavailable(route: RouteOptions): void {
  const response = route.schema?.response as Record<string, { description?: string }> | undefined
  if (response === undefined) return
  const own = response[503]?.description
  const description = own === undefined ? `The ${WHY}` : `${own}; or the ${WHY}`
  route.schema = { ...route.schema, response: { ...response, 503: problemResponse(description) } }
}
