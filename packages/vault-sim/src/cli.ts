// Entry of the `vault-sim` bin: one emulated cluster per process, so two processes replicate over the network only.
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { startAdminListener } from './admin.ts'
import { CliUsageError, parseCli, usage } from './cli-options.ts'
import { type ClusterHandle, startCluster } from './cluster.ts'

async function run(argv: string[], env: Record<string, string | undefined>): Promise<void> {
  let options: ReturnType<typeof parseCli>
  try {
    options = parseCli(argv, env)
  } catch (err) {
    if (!(err instanceof CliUsageError)) throw err
    process.stderr.write(`vault-sim: ${err.message}\n\n${usage}`)
    process.exit(2)
  }
  if (options.help) {
    process.stdout.write(usage)
    return
  }
  const logger = options.quiet ? undefined : (line: string) => process.stderr.write(`vault-sim${line}\n`)
  let cluster: ClusterHandle
  try {
    cluster = await startCluster({ ...options.cluster, logger })
  } catch (err) {
    process.stderr.write(`vault-sim: ${(err as Error).message}\n`)
    process.exit(1)
  }
  let caFile: string | undefined
  if (options.caOut && cluster.apiCaPem) {
    caFile = resolve(options.caOut)
    await writeFile(caFile, cluster.apiCaPem)
  }
  const admin = options.adminAddr ? await startAdminListener(cluster, options.adminAddr) : undefined
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await admin?.close()
    await cluster.close()
    process.exit(0)
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  // Once, like `vault operator init`, and never where logs are kept: a piped stdout usually ends in a log file.
  // A keys file is complete before the announcement, so a caller can read it as soon as it sees the JSON line.
  const keyLines = cluster.unsealKeys.map((key, i) => `Unseal Key ${i + 1}: ${key}\n`).join('')
  if (options.unsealKeysOut) await writeFile(resolve(options.unsealKeysOut), keyLines, { mode: 0o600 })
  // The one line callers wait for; never includes the root token.
  process.stdout.write(
    `${JSON.stringify({
      name: cluster.name,
      api_addr: cluster.apiUrl,
      cluster_addr: cluster.clusterUrl,
      ...(caFile && { ca_file: caFile }),
      ...(admin && { admin_addr: admin.url }),
    })}\n`,
  )
  if (options.unsealKeysOut) return
  if (options.printUnsealKeys || process.stdout.isTTY) process.stdout.write(keyLines)
  else {
    logger?.(
      '[cli] unseal key shares not printed (stdout is not a terminal): use --unseal-keys-out or --print-unseal-keys',
    )
  }
}

await run(process.argv.slice(2), process.env)
