export * from './secondary-token.errors.ts'
export * from './secondary-token.routes.ts'
export * from './secondary-token.schemas.ts'
export * from './secondary-token.service.ts'
