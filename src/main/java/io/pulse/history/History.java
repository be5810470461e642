package io.pulse.history;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.RingbufferConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.ringbuffer.OverflowPolicy;
import com.hazelcast.ringbuffer.ReadResultSet;
import com.hazelcast.ringbuffer.Ringbuffer;
import io.pulse.cluster.HzFutures;
import io.pulse.hub.Delivery;
import io.pulse.messages.Envelope;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The per-channel replay window (SPEC §7), one Hazelcast ring buffer per channel.
 *
 * <p>The ring buffer assigns each message its sequence, which is the envelope id, so ids order a
 * channel cluster-wide. It keeps the last {@code history.size} messages no older than
 * {@code history.ttlSeconds}, with one synchronous backup on another member: losing any one node
 * loses none of it. Items are the envelope text without channel and id ({@link Envelope#tail}).
 *
 * <p>A ring buffer exists only for a channel that has had a message: before a channel's first
 * append, a node registers it cluster-wide ({@link #CHANNELS}), and a read of a channel that is
 * not registered answers "nothing yet" without touching Hazelcast's ring buffers. Otherwise every
 * read of a made-up channel name (a history request, a resume) would leave an empty ring buffer
 * of {@code history.size} slots, plus its backup, in the cluster for good.
 *
 * <p>Thread-safe; every call is asynchronous and completes on the caller's Vert.x context.
 */
public final class History {

  /** Ring buffer names: {@code pulse.history.<channel>}. */
  public static final String NAME_PREFIX = "pulse.history.";

  /** The channels that have a ring buffer, cluster-wide: channel → true. */
  public static final String CHANNELS = "pulse.history-channels";

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final int batch;
  /** Ring buffers of registered channels only. */
  private final ConcurrentMap<String, Ringbuffer<String>> buffers = new ConcurrentHashMap<>();
  private volatile IMap<String, Boolean> channels;

  /** {@code size}: history.size; reads are batched by it (Hazelcast reads at most the capacity, and 1000). */
  public History(Vertx vertx, HazelcastInstance hz, int size) {
    this.vertx = vertx;
    this.hz = hz;
    this.batch = Math.min(1000, size);
  }

  /** Adds the replay-window settings to a member config (before the member starts). */
  public static void configure(Config config, int size, int ttlSeconds) {
    config.addRingBufferConfig(new RingbufferConfig(NAME_PREFIX + "*")
        .setCapacity(size)
        .setTimeToLiveSeconds(ttlSeconds)
        .setBackupCount(1)
        .setAsyncBackupCount(0));
    config.addMapConfig(new MapConfig(CHANNELS)
        .setBackupCount(1)
        .setAsyncBackupCount(0));
  }

  /** Appends a message; the future holds its sequence. */
  public Future<Long> append(String channel, String tail) {
    return writable(channel).compose(rb -> HzFutures.on(vertx.getOrCreateContext(),
        rb.addAsync(tail, OverflowPolicy.OVERWRITE)));
  }

  /**
   * What a client that last saw {@code afterSeq} on {@code channel} missed, oldest first, at most
   * {@code limit} messages. {@code recovered} is false when part of it has left the window or
   * {@code afterSeq} is unknown (ahead of the channel, or not an id: -2).
   */
  public Future<Replay> since(String channel, long afterSeq, int limit) {
    return readable(channel).compose(rb -> {
      if (rb == null) {
        return Future.succeededFuture(new Replay(List.of(), afterSeq == -1, -1));
      }
      if (afterSeq < -1) {
        return tail(rb).map(tail -> new Replay(List.of(), false, tail));
      }
      return read(rb, channel, afterSeq + 1, limit, new ArrayList<>()).compose(messages -> {
        if (!messages.isEmpty()) {
          boolean complete = messages.get(0).seq() == afterSeq + 1;
          return Future.succeededFuture(new Replay(messages, complete, messages.get(messages.size() - 1).seq()));
        }
        // Nothing to read: either nothing is newer (recovered), or it expired, or the id is ahead.
        return tail(rb).map(tail -> new Replay(List.of(), tail == afterSeq, tail));
      });
    });
  }

  /** {@link #since} for several channels at once (a resume): channel → replay. */
  public Future<Map<String, Replay>> sinceAll(Map<String, Long> positions, int limit) {
    Map<String, Replay> out = new LinkedHashMap<>();
    List<Future<?>> reads = new ArrayList<>();
    positions.forEach((channel, seq) -> reads.add(since(channel, seq, limit).onSuccess(r -> out.put(channel, r))));
    return Future.all(reads).map(ignored -> out);
  }

  /** The last {@code limit} messages of the window, oldest first ({@code recovered} is true). */
  public Future<Replay> latest(String channel, int limit) {
    return readable(channel).compose(rb -> rb == null
        ? Future.succeededFuture(new Replay(List.of(), true, -1))
        : read(rb, channel, 0, Integer.MAX_VALUE, new ArrayList<>()).compose(all -> {
          if (all.isEmpty()) {
            return tail(rb).map(tail -> new Replay(List.of(), true, tail));
          }
          List<Delivery> last = all.subList(Math.max(0, all.size() - limit), all.size());
          return Future.succeededFuture(new Replay(List.copyOf(last), true, all.get(all.size() - 1).seq()));
        }));
  }

  /**
   * Reads from {@code from} (Hazelcast starts at the oldest item still held when {@code from} is
   * older) until the end or {@code limit}; empty when {@code from} is past the end.
   */
  private Future<List<Delivery>> read(Ringbuffer<String> rb, String channel, long from, int limit, List<Delivery> acc) {
    int max = Math.min(batch, limit - acc.size());
    return HzFutures.on(vertx.getOrCreateContext(), rb.readManyAsync(from, 0, max, null))
        .compose(rs -> {
          collect(channel, rs, acc);
          if (rs.size() == max && acc.size() < limit) {
            return read(rb, channel, rs.getNextSequenceToReadFrom(), limit, acc);
          }
          return Future.succeededFuture(acc);
        });
  }

  /** The channel's last sequence (-1 when it never had a message); a synchronous call, so on a worker. */
  private Future<Long> tail(Ringbuffer<String> rb) {
    return vertx.executeBlocking(rb::tailSequence, false);
  }

  private static void collect(String channel, ReadResultSet<String> rs, List<Delivery> acc) {
    for (int i = 0; i < rs.size(); i++) {
      long seq = rs.getSequence(i);
      String tail = rs.get(i);
      acc.add(new Delivery(channel, seq, Envelope.tsOf(tail), Envelope.full(channel, seq, tail)));
    }
  }

  /**
   * The channel's ring buffer for an append: the first time this node appends to the channel, it
   * registers the channel first, so that a reader that finds no registration can tell that
   * nothing was ever appended.
   */
  private Future<Ringbuffer<String>> writable(String channel) {
    if (buffers.containsKey(channel)) {
      return buffer(channel);
    }
    return channels()
        .compose(m -> HzFutures.on(vertx.getOrCreateContext(), m.setAsync(channel, Boolean.TRUE)))
        .compose(v -> buffer(channel));
  }

  /** The channel's ring buffer for a read, or null when no message was ever appended to it. */
  private Future<Ringbuffer<String>> readable(String channel) {
    if (buffers.containsKey(channel)) {
      return buffer(channel);
    }
    return channels()
        .compose(m -> HzFutures.on(vertx.getOrCreateContext(), m.getAsync(channel)))
        .compose(registered -> registered == null ? Future.succeededFuture() : buffer(channel));
  }

  private Future<IMap<String, Boolean>> channels() {
    IMap<String, Boolean> m = channels;
    if (m != null) {
      return Future.succeededFuture(m);
    }
    return vertx.executeBlocking(() -> {
      IMap<String, Boolean> created = hz.getMap(CHANNELS);
      channels = created;
      return created;
    }, false);
  }

  /**
   * Proxy creation may talk to other members: done off the event loop, the first time a channel
   * is used. Only proxies are shared between verticles, never futures: a future belongs to the
   * context that created it, and its callbacks run there. Every future this class returns
   * completes on its caller's context, so a transport's sessions are only ever touched from
   * their own event loop.
   */
  private Future<Ringbuffer<String>> buffer(String channel) {
    Ringbuffer<String> rb = buffers.get(channel);
    if (rb != null) {
      return Future.succeededFuture(rb);
    }
    return vertx.<Ringbuffer<String>>executeBlocking(() -> hz.getRingbuffer(NAME_PREFIX + channel), false)
        .map(created -> {
          Ringbuffer<String> before = buffers.putIfAbsent(channel, created);
          return before != null ? before : created;
        });
  }

  /**
   * A replay: the messages (oldest first), whether they are complete, and the position: the
   * sequence of the last message returned, or when none, the channel's last sequence (-1: none).
   */
  public record Replay(List<Delivery> messages, boolean recovered, long position) {
  }
}
