export * from './role-change.routes.ts'
export * from './role-change.schemas.ts'
export * from './role-change.service.ts'
export * from './role-errors.ts'
