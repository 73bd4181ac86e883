/**
 * Gossip with validation that says what happened. Each topic has a codec (schema-checked
 * decode) and a validate function; rules throw GossipValidationError(action, code). The
 * wrapper maps outcomes to accept / ignore / reject; gossipsub lowers the score of a peer
 * that forwards rejected messages. An unexpected exception is IGNORE: a peer is never
 * punished for a local bug.
 */
import { TopicValidatorResult, type GossipSub, type GossipsubMessage, type Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { DitenError, GossipAction, GossipValidationError, describeError, type Codec } from '../../ledger/index.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { Member, MemberSet } from './members.js'
import { topicString, type TopicName } from './topics.js'

export { GossipAction, GossipValidationError }

export interface TopicHandler<T> {
  name: TopicName
  codec: Codec<T>
  /**
   * Optional look at the raw bytes before they are decoded: may throw an IGNORE for a message
   * that is surely useless here (e.g. a block already final), saving the decode of a large one.
   */
  peek?(data: Uint8Array): void
  /** throws GossipValidationError (or any DitenError = reject) when the message is bad; `source` relayed it (absent in checks) */
  validate(msg: T, author: Member, source?: PeerId): void | Promise<void>
  /** called once per accepted message */
  onMessage(msg: T, author: Member, propagationSource: PeerId): void
}

interface Registered {
  handler: TopicHandler<unknown>
}

export interface GossipModules {
  pubsub: GossipSub
  members: MemberSet
  logger: Logger
  metrics: Metrics
}

export class Gossip {
  private readonly topics = new Map<string, Registered>()
  /** decoded payloads of messages in flight between validation and delivery */
  private readonly decoded = new WeakMap<Uint8Array, unknown>()
  private readonly onMessageEvent = (evt: CustomEvent<GossipsubMessage>) => this.deliver(evt.detail)

  constructor(
    private readonly opts: { chainId: string },
    private readonly modules: GossipModules,
  ) {
    modules.pubsub.addEventListener('gossipsub:message', this.onMessageEvent)
  }

  register<T>(handler: TopicHandler<T>): void {
    const topic = topicString(this.opts.chainId, handler.name)
    this.topics.set(topic, { handler: handler as TopicHandler<unknown> })
    this.modules.pubsub.topicValidators.set(topic, (source, msg) => this.validate(topic, source, msg))
    this.modules.pubsub.subscribe(topic)
  }

  async publish<T>(name: TopicName, msg: T): Promise<number> {
    const topic = topicString(this.opts.chainId, name)
    const reg = this.topics.get(topic)
    if (!reg) throw new Error(`gossip topic ${name} is not registered`)
    const data = reg.handler.codec.encode(msg)
    const res = await this.modules.pubsub.publish(topic, data)
    this.modules.metrics.gossipPublished.inc({ topic: name })
    this.modules.metrics.p2pSendBytes.inc({ topic: name }, data.length)
    return res.recipients.length
  }

  /** Publishes raw bytes without encoding: only for fault injection and tests. */
  async publishRaw(name: TopicName, data: Uint8Array): Promise<void> {
    await this.modules.pubsub.publish(topicString(this.opts.chainId, name), data)
  }

  /**
   * Decodes and validates one message of a topic as if `author` had sent it, without delivering
   * it; errors propagate (fuzzing and tests: gossipsub turns them into accept/ignore/reject).
   */
  async check(name: TopicName, data: Uint8Array, author: Member): Promise<void> {
    const reg = this.topics.get(topicString(this.opts.chainId, name))
    if (!reg) throw new Error(`gossip topic ${name} is not registered`)
    await reg.handler.validate(reg.handler.codec.decode(data), author)
  }

  stop(): void {
    this.modules.pubsub.removeEventListener('gossipsub:message', this.onMessageEvent)
    for (const topic of this.topics.keys()) {
      this.modules.pubsub.topicValidators.delete(topic)
      this.modules.pubsub.unsubscribe(topic)
    }
    this.topics.clear()
  }

  private async validate(topic: string, source: PeerId, msg: Message): Promise<TopicValidatorResult> {
    const reg = this.topics.get(topic)
    const name = reg?.handler.name ?? 'unknown'
    this.modules.metrics.p2pReceiveBytes.inc({ topic: name }, msg.data.length)
    const result = await this.runRules(reg, source, msg)
    this.modules.metrics.gossipValidation.inc({ topic: name, result })
    return result
  }

  private async runRules(reg: Registered | undefined, source: PeerId, msg: Message): Promise<TopicValidatorResult> {
    const log = this.modules.logger
    // an unknown topic is not the sender's fault if we merely stopped listening
    if (!reg) return TopicValidatorResult.Ignore
    // only members' own signed messages: the author key is the member key from genesis
    if (msg.type !== 'signed') return TopicValidatorResult.Reject
    const author = this.modules.members.byPeerId(msg.from)
    if (!author) return TopicValidatorResult.Reject
    try {
      reg.handler.peek?.(msg.data)
      const value = reg.handler.codec.decode(msg.data)
      await reg.handler.validate(value, author, source)
      this.decoded.set(msg.data, value)
      return TopicValidatorResult.Accept
    } catch (e) {
      if (e instanceof GossipValidationError) {
        log.debug(
          { topic: reg.handler.name, author: author.name, source: source.toString(), reason: e.message },
          'gossip message %s',
          e.action,
        )
        return e.action === GossipAction.IGNORE ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
      }
      if (e instanceof DitenError) {
        log.debug(
          { topic: reg.handler.name, author: author.name, source: source.toString(), reason: describeError(e) },
          'gossip message rejected',
        )
        return TopicValidatorResult.Reject
      }
      log.warn(
        { topic: reg.handler.name, err: describeError(e), stack: (e as Error)?.stack },
        'gossip validator failed unexpectedly; ignoring message',
      )
      return TopicValidatorResult.Ignore
    }
  }

  private deliver({ msg, propagationSource }: GossipsubMessage): void {
    const reg = this.topics.get(msg.topic)
    if (!reg || msg.type !== 'signed') return
    const author = this.modules.members.byPeerId(msg.from)
    const value = this.decoded.get(msg.data)
    if (!author || value === undefined) return
    this.decoded.delete(msg.data)
    try {
      reg.handler.onMessage(value, author, propagationSource)
    } catch (e) {
      this.modules.logger.error({ topic: reg.handler.name, err: describeError(e), stack: (e as Error)?.stack }, 'gossip handler failed')
    }
  }
}
