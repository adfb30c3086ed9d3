import { EventEmitter } from 'node:events'

/** Tells this process's listeners (event streams) that an operation was written; they read the events from the store. */
export class OperationBus {
  readonly #emitter = new EventEmitter().setMaxListeners(0)

  notify(id: string): void {
    this.#emitter.emit(id)
  }

  subscribe(id: string, listener: () => void): () => void {
    this.#emitter.on(id, listener)
    return () => this.#emitter.off(id, listener)
  }
}
