/** A generate-operation-token attempt in progress on a cluster (kept in its context until it completes or is cancelled). */
export interface CeremonyAttempt {
  nonce: string
  otp: string
  /** Hashes of the shares given so far. */
  given: string[]
  validShares: number
}
