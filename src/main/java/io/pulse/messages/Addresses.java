package io.pulse.messages;

import io.vertx.core.eventbus.DeliveryOptions;

/**
 * Every event-bus address Pulse uses, in one place.
 *
 * <p>Clustered addresses cross nodes; local ones (marked) never leave the node. Channel names
 * that users see are a different thing: they are the {@code channel} field of an envelope.
 */
public final class Addresses {

  /**
   * Public publish API (SPEC §12). Body: JSON {@code {"channel","event","data","from"}}.
   * {@code request} replies {@code {"id"}} or fails with code 400; {@code send} is fire-and-forget.
   */
  public static final String PUBLISH = "pulse.publish";

  /** Prefix of the per-channel delivery addresses: {@code pulse.ch.<channel>}. Body: envelope text. */
  public static final String CHANNEL_PREFIX = "pulse.ch.";

  /**
   * Prefix of the per-pattern delivery addresses: a message on {@code a.b.c} is also published on
   * {@code pulse.pat.a} and {@code pulse.pat.a.b}, where nodes holding {@code a.*} and
   * {@code a.b.*} subscribers listen.
   */
  public static final String PATTERN_PREFIX = "pulse.pat.";

  /** Clustered: every node publishes its {@code NodeInfo} here every second (and a leave on stop). */
  public static final String NODE_STATS = "pulse.node.stats";

  /** Local: transport verticles report their connection and subscription counts here. */
  public static final String NODE_CONNECTIONS = "pulse.node.connections";

  /** Local: request the cluster view ({@code /api/cluster} body). */
  public static final String CLUSTER_VIEW = "pulse.cluster.view";

  /**
   * Clustered, point-to-point: revoke a subject's tokens. Request {@code {"sub"}}, reply
   * {@code {"sub","revokedAt"}} (epoch ms) or a failure 400. Public API, like {@link #PUBLISH}.
   */
  public static final String REVOKE = "pulse.revoke";

  /** Clustered: a revocation, {@code {"sub","revokedAt"}}, to every node's {@code RevokeVerticle}. */
  public static final String REVOKED = "pulse.revoked";

  /** Local: the same, to this node's transport verticles, which close the subject's connections. */
  public static final String REVOKED_LOCAL = "pulse.revoked.local";

  /**
   * Local: this node has merged back into the cluster after a split brain, from the smaller side
   * (docs: partitions.md). Its transport verticles end every SSE stream and close every WebSocket
   * with 1012, so that clients resume with their last ids against the merged history.
   */
  public static final String REJOINED_LOCAL = "pulse.rejoined.local";

  /** Delivery headers carried with every envelope on the channel addresses. */
  public static final String HEADER_CHANNEL = "c";
  public static final String HEADER_SEQ = "s";
  public static final String HEADER_TS = "t";

  /**
   * The subject header: the token's subject, which Pulse vouches for, on what a page sends or
   * publishes to an application address through the bridge (and the replies it sends) and on the
   * chat's moderation requests; absent without a token. A client's own copy, under any spelling
   * (event-bus header names ignore case), is removed first ({@link io.pulse.messages.Headers#own}).
   */
  public static final String HEADER_SUBJECT = "pulse-sub";

  /** Options for a message that must stay on this node (the local addresses). Shared: never modify. */
  public static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private Addresses() {
  }

  /** The address where subscribers of exactly {@code channel} listen. */
  public static String channel(String channel) {
    return CHANNEL_PREFIX + channel;
  }

  /** The address where subscribers of the pattern {@code prefix.*} listen. */
  public static String pattern(String prefix) {
    return PATTERN_PREFIX + prefix;
  }
}
