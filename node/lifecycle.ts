/**
 * The one lifecycle shape of the node's modules (js-libp2p's Startable): built with everything
 * they need, `start` begins their timers and loops, `stop` ends them. DitenNode starts modules in
 * the order they were built and stops them in reverse.
 */
export interface Startable {
  start?(): void | Promise<void>
  stop(): void | Promise<void>
}
