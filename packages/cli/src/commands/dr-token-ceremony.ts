import type { Readable } from 'node:stream'
import { CliError, ExitCode } from '../exit-codes.ts'
import type { GatewayApi } from '../gateway-client.ts'
import { expectData, type Output } from '../output.ts'
import { readShares } from '../read-shares.ts'

/**
 * The key-share ceremony on a pair's secondary, through the gateway: the agent there keeps the OTP; each of the
 * primary's key shares is read without echo (terminal) or from stdin, sent once, and never printed; after the last,
 * the gateway keeps the decoded token sealed. Ending the input early, a refused share or Ctrl-C cancels the attempt.
 */
export async function drTokenCeremony(api: GatewayApi, out: Output, secondary: string, stdin: Readable) {
  const path = { params: { path: { secondary } } }
  const started = expectData(await api.POST('/v1/pairs/{secondary}/dr-operation-token/ceremony', path))
  const cancel = () => api.DELETE('/v1/pairs/{secondary}/dr-operation-token/ceremony', path).catch(() => undefined)
  const onSigint = () => {
    void cancel().finally(() => process.exit(ExitCode.failed))
  }
  process.once('SIGINT', onSigint)
  const say = (text: string) => {
    if (!out.json) out.err(text)
  }
  say(`key-share ceremony on ${secondary}: ${started.required} of the primary's key shares needed (Ctrl-C cancels)`)
  let progress = started
  try {
    const prompt = (n: number) => {
      if (n <= started.required && !out.json) process.stderr.write(`key share ${n} of ${started.required}: `)
    }
    for await (const key of readShares(stdin, prompt)) {
      const answer = await api.POST('/v1/pairs/{secondary}/dr-operation-token/ceremony/{nonce}/shares', {
        params: { path: { secondary, nonce: started.nonce } },
        body: { key },
      })
      if (!answer.response.ok) await cancel()
      progress = expectData(answer)
      say(`share accepted: ${progress.progress} of ${progress.required}`)
      if (progress.complete) break
    }
  } finally {
    process.removeListener('SIGINT', onSigint)
  }
  if (!progress.complete) {
    await cancel()
    const detail = `the input ended after ${progress.progress} of ${progress.required} key shares; the attempt was cancelled`
    const fix = `Give all ${progress.required} shares, one per line (typed, or on stdin), then run "vault-dr dr-token ceremony ${secondary}" again.`
    throw new CliError({ code: 'CLI_ERR_CEREMONY_INCOMPLETE', detail, fix }, ExitCode.failed)
  }
  const result = { secondary, complete: true, progress: progress.progress, required: progress.required }
  out.out(
    out.json
      ? JSON.stringify(result)
      : `DR operation token made on ${secondary}; the gateway keeps it sealed (it is never shown). It has no TTL: delete it after use (vault-dr dr-token ceremony ${secondary} --delete).`,
  )
  return ExitCode.ok
}

/** Deletes the kept ceremony token in the secondary's Vault, and has the gateway forget it. */
export async function deleteCeremonyToken(api: GatewayApi, out: Output, secondary: string) {
  const answer = expectData(
    await api.DELETE('/v1/pairs/{secondary}/dr-operation-token/ceremony/token', { params: { path: { secondary } } }),
  )
  out.out(out.json ? JSON.stringify({ secondary, ...answer }) : answer.detail)
  return ExitCode.ok
}
