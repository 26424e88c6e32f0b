import type { ExchangeListener, ProxyExchange } from '../forward/proxy-exchange.js'

/** Several listeners behind one, called in order; null when there are none, the listener itself when one. */
export function combineListeners(listeners: readonly (ExchangeListener | null)[]): ExchangeListener | null {
  const present = listeners.filter((l): l is ExchangeListener => l !== null)
  if (present.length <= 1) return present[0] ?? null
  return new ListenerFanOut(present)
}

class ListenerFanOut implements ExchangeListener {
  constructor(private readonly listeners: readonly ExchangeListener[]) {}

  onExchangeEnd(exchange: ProxyExchange): void {
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i].onExchangeEnd(exchange)
  }
}
