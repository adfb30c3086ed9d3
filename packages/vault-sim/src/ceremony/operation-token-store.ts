/**
 * DR operation tokens made by the key-share ceremony on this cluster. They are local (never replicated), have no TTL
 * and live until `secondary/operation-token/delete` (fact sheet 2.5), or until an activation wipes the cluster.
 */
export class OperationTokenStore {
  #tokens = new Set<string>()

  add(token: string): void {
    this.#tokens.add(token)
  }

  holds(token: string): boolean {
    return token !== '' && this.#tokens.has(token)
  }

  delete(token: string): boolean {
    return this.#tokens.delete(token)
  }

  /** All gone: the cluster's data was wiped (an activation as a DR secondary). */
  clear(): void {
    this.#tokens.clear()
  }
}
