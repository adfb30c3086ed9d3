/** How a journal write of an operation or handshake may be made, and what it answers. */

export interface UpdateOptions {
  /**
   * Write nothing when a cancellation is on record: the write and that read are one transaction, so a cancellation
   * either came first (nothing written) or finds the write on record.
   */
  unlessCancelled?: boolean
}

/** What another gateway may have changed meanwhile (a cancellation); skipped: unlessCancelled wrote nothing. */
export interface UpdateOutcome {
  cancel_requested: boolean
  skipped?: true
}
