import { flushCompileCache } from 'node:module'
import type { FastifyInstance } from 'fastify'
import { ConfigError } from '../config/load-config.ts'
import { configErrorOf, type StartSettings } from '../config/setting-errors.ts'
import { runServer } from './run-server.ts'

/**
 * A service's `server.ts` in one call: read the environment once, build the app, listen. A bad configuration
 * stops the process (exit code 78, EX_CONFIG) with a message naming each variable, not a stack trace: whether the
 * schema refuses it, or building the app or listening fails on it (a certificate OpenSSL cannot use, a host that
 * does not resolve, a port in use, a store path that cannot be created).
 */
export async function runService<C extends StartSettings>(
  loadConfig: (env: NodeJS.ProcessEnv) => C,
  buildApp: (config: C) => Promise<FastifyInstance>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  let config: C
  try {
    config = loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) stop(err)
    throw err
  }
  let app: FastifyInstance
  try {
    app = await buildApp(config)
  } catch (err) {
    stop(configErrorOf(err, 'build', config, env), err)
  }
  try {
    await runServer(app, config.listen)
  } catch (err) {
    stop(configErrorOf(err, 'listen', config, env), err)
  }
  // What the start compiled goes to the compile cache (if the entry enabled it) now, not at exit: a process killed
  // (SIGKILL, the OOM killer) never exits, and its restart, the start that matters, would compile it all again.
  flushCompileCache()
}

/** Exits with the configuration's message, or rethrows an error that is not a setting's fault. */
function stop(configError: ConfigError | undefined, err?: unknown): never {
  if (configError === undefined) throw err
  process.stderr.write(`${configError.message}\n`)
  process.exit(78) // EX_CONFIG
}
