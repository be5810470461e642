package io.pulse.config;

import io.pulse.hub.SlowPolicies;

/**
 * What every connection is held to, whatever its transport ({@code limits.*}): the connection
 * core reads these, and each is counted in metrics when it refuses something.
 *
 * @param maxConnections                {@code limits.maxConnections}: connections per node, all transports
 * @param maxMessageBytes               {@code limits.maxMessageBytes}: the largest message a client may send
 * @param maxSubscriptionsPerConnection {@code limits.maxSubscriptionsPerConnection}
 * @param inboundPerSecond              {@code limits.inboundPerSecond}: messages a connection may send per second
 * @param inboundBurst                  {@code limits.inboundBurst}: and at once; also the most chat messages awaiting moderation
 * @param sendQueueBytes                {@code limits.sendQueueBytes}: a connection's outbound queue
 * @param slowPolicies                  {@code limits.slowConsumer*}: what a full queue does, per subscription
 */
public record Limits(int maxConnections, int maxMessageBytes, int maxSubscriptionsPerConnection, int inboundPerSecond,
    int inboundBurst, int sendQueueBytes, SlowPolicies slowPolicies) {

  /** = {@code 20000}. */
  public static final int DEFAULT_MAX_CONNECTIONS = 20_000;
  /** = {@code 65536}. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 65_536;
  /** = {@code 100}. */
  public static final int DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;
  /** = {@code 20}. */
  public static final int DEFAULT_INBOUND_PER_SECOND = 20;
  /** = {@code 40}. */
  public static final int DEFAULT_INBOUND_BURST = 40;
  /** = {@code 1048576} (1 MiB). */
  public static final int DEFAULT_SEND_QUEUE_BYTES = 1_048_576;
}
