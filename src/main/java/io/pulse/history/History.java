package io.pulse.history;

import com.hazelcast.config.Config;
import com.hazelcast.config.RingbufferConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.ringbuffer.OverflowPolicy;
import com.hazelcast.ringbuffer.ReadResultSet;
import com.hazelcast.ringbuffer.Ringbuffer;
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
 * <p>Thread-safe; every call is asynchronous and completes on the caller's Vert.x context.
 */
public final class History {

  /** Ring buffer names: {@code pulse.history.<channel>}. */
  public static final String NAME_PREFIX = "pulse.history.";
  private static final int BATCH = 1000; // Hazelcast's readMany maximum

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final ConcurrentMap<String, Future<Ringbuffer<String>>> buffers = new ConcurrentHashMap<>();

  public History(Vertx vertx, HazelcastInstance hz) {
    this.vertx = vertx;
    this.hz = hz;
  }

  /** Adds the replay-window settings to a member config (before the member starts). */
  public static void configure(Config config, int size, int ttlSeconds) {
    config.addRingBufferConfig(new RingbufferConfig(NAME_PREFIX + "*")
        .setCapacity(size)
        .setTimeToLiveSeconds(ttlSeconds)
        .setBackupCount(1)
        .setAsyncBackupCount(0));
  }

  /** Appends a message; the future holds its sequence. */
  public Future<Long> append(String channel, String tail) {
    return buffer(channel).compose(rb -> Future.fromCompletionStage(
        rb.addAsync(tail, OverflowPolicy.OVERWRITE), vertx.getOrCreateContext()));
  }

  /**
   * What a client that last saw {@code afterSeq} on {@code channel} missed, oldest first, at most
   * {@code limit} messages. {@code recovered} is false when part of it has left the window or
   * {@code afterSeq} is unknown (ahead of the channel).
   */
  public Future<Replay> since(String channel, long afterSeq, int limit) {
    if (afterSeq < -1) {
      return latest(channel, 0).map(r -> new Replay(List.of(), false, r.position()));
    }
    return buffer(channel).compose(rb -> read(rb, channel, afterSeq + 1, limit, new ArrayList<>()))
        .map(r -> {
          boolean complete = r.messages().isEmpty()
              ? r.position() == afterSeq // nothing newer, nothing expired
              : r.messages().get(0).seq() == afterSeq + 1;
          return new Replay(r.messages(), complete, r.position());
        })
        .recover(err -> aheadOfChannel(err)
            ? latest(channel, 0).map(r -> new Replay(List.of(), false, r.position()))
            : Future.failedFuture(err));
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
    return buffer(channel).compose(rb -> read(rb, channel, 0, Integer.MAX_VALUE, new ArrayList<>()))
        .map(r -> {
          List<Delivery> all = r.messages();
          List<Delivery> last = all.subList(Math.max(0, all.size() - limit), all.size());
          return new Replay(List.copyOf(last), true, r.position());
        });
  }

  /**
   * Reads from {@code from} (clamped by Hazelcast to the oldest item still held) until the end or
   * {@code limit}. The replay's position is the sequence of the last item in the channel.
   */
  private Future<Replay> read(Ringbuffer<String> rb, String channel, long from, int limit, List<Delivery> acc) {
    int max = Math.min(BATCH, limit - acc.size());
    return Future.fromCompletionStage(rb.readManyAsync(from, 0, max, null), vertx.getOrCreateContext())
        .compose(rs -> {
          collect(channel, rs, acc);
          long next = rs.getNextSequenceToReadFrom();
          if (rs.size() == max && acc.size() < limit) {
            return read(rb, channel, next, limit, acc);
          }
          long position = acc.size() == limit && rs.size() == max ? -2 : next - 1;
          return Future.succeededFuture(new Replay(acc, true, position));
        });
  }

  /** Hazelcast refuses a read that starts after the channel's next sequence: an unknown id. */
  private static boolean aheadOfChannel(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException) {
        return true;
      }
    }
    return false;
  }

  private static void collect(String channel, ReadResultSet<String> rs, List<Delivery> acc) {
    for (int i = 0; i < rs.size(); i++) {
      long seq = rs.getSequence(i);
      String tail = rs.get(i);
      acc.add(new Delivery(channel, seq, Envelope.tsOf(tail), Envelope.full(channel, seq, tail)));
    }
  }

  /** Proxy creation may talk to other members: done once per channel, off the event loop. */
  private Future<Ringbuffer<String>> buffer(String channel) {
    Future<Ringbuffer<String>> f = buffers.get(channel);
    if (f != null) {
      return f;
    }
    return buffers.computeIfAbsent(channel, ch -> vertx.<Ringbuffer<String>>executeBlocking(
        () -> hz.getRingbuffer(NAME_PREFIX + ch), false)
        .onFailure(err -> buffers.remove(ch)));
  }

  /**
   * A replay: the messages (oldest first), whether they are complete, and the position (the last
   * sequence of the channel, -1 when it is empty, -2 when the read stopped at its limit).
   */
  public record Replay(List<Delivery> messages, boolean recovered, long position) {
  }
}
