package io.pulse.history;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.ringbuffer.OverflowPolicy;
import io.pulse.cluster.HzFutures;
import io.pulse.messages.Delivery;
import io.pulse.messages.Envelope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The per-channel replay window (SPEC §7), one Hazelcast ring buffer per channel: what the rest of
 * Pulse uses to append and read it.
 *
 * <p>The ring buffer assigns each message its sequence, from which its id follows, so ids order a
 * channel cluster-wide. It keeps the last {@code history.size} messages no older than
 * {@code history.ttlSeconds}, with one synchronous backup on another member: losing any one node
 * loses none of it ({@link HistoryConfig}). Items are the envelope text without channel and id
 * ({@link Envelope#tail}).
 *
 * <p>The parts, each in its own class:
 * <ul>
 * <li>{@link ChannelSlots}: a ring buffer exists only while a channel has, or recently had,
 * messages; the registry ({@link #CHANNELS}, channel → {@link Registration}) says which, and this
 * node keeps the registrations it uses.</li>
 * <li>{@link ChannelRetirer}: destroys the ring buffers of channels whose messages have all
 * expired ({@link #retireIdle}); the next message starts a new one whose ids continue.</li>
 * <li>{@link HistoryReads}: {@link #since}, {@link #sinceAll}, {@link #latest}.</li>
 * <li>{@link Quorum}: with {@code cluster.quorum}, the history exists only on a side of a split
 * brain that has that many members; on the other side appends fail, reads answer "not recovered"
 * at a detached position ({@link DetachedIds}), and the publish path delivers live with detached
 * ids (docs: partitions.md).</li>
 * </ul>
 *
 * <p>Thread-safe; every call except {@link #retireIdle} is asynchronous and completes on the
 * caller's Vert.x context.
 */
public final class History {

  /** Ring buffer names: {@code pulse.history.<channel>} (then {@code ~<generation>}, see {@link Registration}). */
  public static final String NAME_PREFIX = "pulse.history.";

  /** The registry of channels that have a window: channel → {@link Registration} text. */
  public static final String CHANNELS = "pulse.history-channels";

  /** The split-brain protection of the history's ring buffers and registry ({@code cluster.quorum}). */
  public static final String QUORUM = "pulse.history-quorum";

  private final Vertx vertx;
  private final ChannelSlots slots;
  private final ChannelRetirer retirer;
  private final Quorum quorum;
  private final HistoryReads reads;

  /**
   * {@code size}: history.size; reads are batched by it (Hazelcast reads at most the capacity, and
   * 1000). {@code retireCheckSeconds}: history.retireCheckSeconds, how often {@link #retireIdle}
   * runs; a node confirms a registration it has not confirmed for 0.4 of that. Blocking (creates
   * the registry's proxy, which may talk to other members): call it off the event loop.
   */
  public History(Vertx vertx, HazelcastInstance hz, int size, int retireCheckSeconds) {
    this.vertx = vertx;
    IMap<String, String> channels = hz.getMap(CHANNELS);
    long validNanos = TimeUnit.SECONDS.toNanos(retireCheckSeconds) * 2 / 5;
    this.slots = new ChannelSlots(vertx, hz, channels, validNanos);
    this.retirer = new ChannelRetirer(hz, channels, validNanos);
    this.quorum = new Quorum(hz);
    this.reads = new HistoryReads(vertx, slots, quorum, Math.min(1000, size));
  }

  /** True when {@code err} (or its cause) says this side of a split is below {@code cluster.quorum}. */
  public static boolean noQuorum(Throwable err) {
    return Quorum.missing(err);
  }

  /** Appends a message; the future holds its id (as a number). */
  public Future<Long> append(String channel, String tail) {
    return appender(channel).compose(a -> a.add(tail));
  }

  /** The second step of an append: the add to the channel's ring buffer, sent at once. */
  @FunctionalInterface
  public interface Appender {
    /** Sends the add now; the future holds the message's id. */
    Future<Long> add(String tail);
  }

  /**
   * The first step of an append: the channel's ring buffer, found (at once when this node knows
   * it; else after a lookup, which may complete for several callers in any order). A caller that
   * needs ids in the order of its appends sends each add only after the previous one was sent
   * (the ring buffer numbers adds in the order they reach it): see {@code PublishVerticle}.
   */
  public Future<Appender> appender(String channel) {
    Context ctx = vertx.getOrCreateContext();
    return slots.slot(ctx, channel, true).map(s -> tail -> HzFutures.on(ctx, s.rb.addAsync(tail, OverflowPolicy.OVERWRITE))
        .map(s.reg::id));
  }

  /**
   * What a client that last saw {@code afterSeq} on {@code channel} missed, oldest first, at most
   * {@code limit} messages. {@code recovered} is false when part of it has left the window or
   * {@code afterSeq} is unknown (ahead of the channel, or not an id: -2).
   */
  public Future<Replay> since(String channel, long afterSeq, int limit) {
    return reads.since(channel, afterSeq, limit);
  }

  /** {@link #since} for several channels at once (a resume): channel → replay. */
  public Future<Map<String, Replay>> sinceAll(Map<String, Long> positions, int limit) {
    return reads.sinceAll(positions, limit);
  }

  /** The last {@code limit} messages of the window, oldest first ({@code recovered} is true). */
  public Future<Replay> latest(String channel, int limit) {
    return reads.latest(channel, limit);
  }

  /**
   * False while this node's side of a split is below {@code cluster.quorum} (the history is
   * neither read nor written there); always true without a quorum. A local check, no network.
   */
  public boolean writable() {
    return quorum.writable();
  }

  /** A fresh detached id ({@link DetachedIds}), for a message this side cannot write to the history. */
  public long detachedId() {
    return quorum.detachedId();
  }

  /** One round of retiring idle channels ({@link ChannelRetirer#retireIdle}). Blocking: on a worker, one at a time. */
  public int retireIdle() {
    return retirer.retireIdle();
  }

  /** Drops this node's registrations that have not been used (confirmed) for a while. */
  public void forgetUnused() {
    slots.forgetUnused();
  }

  /**
   * A replay: the messages (oldest first), whether they are complete, and the position: the id
   * of the last message returned, or when none, the channel's last id (-1: none).
   */
  public record Replay(List<Delivery> messages, boolean recovered, long position) {
  }
}
