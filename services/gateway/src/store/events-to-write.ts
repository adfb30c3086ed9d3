/** What one journal write records: an event, or several in this order (a step's end and the next step's start). */
export type EventsToWrite<E> = E | readonly E[]

export const eventsToWrite = <E extends object>(events: EventsToWrite<E> | undefined): readonly E[] =>
  events === undefined ? [] : Array.isArray(events) ? events : [events as E]
