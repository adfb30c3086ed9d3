import type { StepResult } from '../operations/step.ts'
import { toStepError } from '../operations/step.ts'
import { callHook, type HookPayload } from './call-hook.ts'
import type { HookSettings } from './hook-settings.ts'

export interface HookCall {
  url: string
  payload: HookPayload
  settings: HookSettings
  signal: AbortSignal
}

/** The pre-hook: its refusal, failure or silence fails the step, so the operation stops before anything changes. */
export async function runPreHook(call: HookCall): Promise<StepResult> {
  const answer = await callHook(call.url, call.payload, call.settings, call.signal)
  return { status: 'succeeded', detail: `the pre-hook agreed (HTTP ${answer.status} in ${answer.took_ms} ms)` }
}

/** The post-hook: the work is done, so its failure is a warning (handed to `warn`), never the operation's failure. */
export async function runPostHook(call: HookCall, warn: (text: string) => Promise<void>): Promise<StepResult> {
  try {
    const answer = await callHook(call.url, call.payload, call.settings, call.signal)
    return { status: 'succeeded', detail: `the post-hook was told (HTTP ${answer.status} in ${answer.took_ms} ms)` }
  } catch (err) {
    if (call.signal.aborted) throw err
    const e = toStepError(err)
    const text = `post-hook: ${e.code}: ${e.detail}`
    await warn(text)
    return { status: 'succeeded', detail: `warning: ${text}` }
  }
}
