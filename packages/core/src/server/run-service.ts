import type { FastifyInstance } from 'fastify'
import { ConfigError } from '../config/load-config.ts'
import { runServer } from './run-server.ts'

interface Listenable {
  listen: { host: string; port: number }
}

/**
 * A service's `server.ts` in one call: read the environment once, build the app, listen. A bad configuration
 * stops the process with a message naming each variable, not a stack trace.
 */
export async function runService<C extends Listenable>(
  loadConfig: (env: NodeJS.ProcessEnv) => C,
  buildApp: (config: C) => Promise<FastifyInstance>,
): Promise<void> {
  let config: C
  try {
    config = loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(78) // EX_CONFIG
    }
    throw err
  }
  const app = await buildApp(config)
  await runServer(app, config.listen)
}
