package io.pulse.history;

import com.hazelcast.ringbuffer.ReadResultSet;
import io.pulse.cluster.HzFutures;
import io.pulse.history.ChannelSlots.Slot;
import io.pulse.history.History.Replay;
import io.pulse.messages.Delivery;
import io.pulse.messages.Envelope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads of the replay window: what a client missed since an id ({@link #since}, {@link #sinceAll})
 * and the latest messages ({@link #latest}). A channel without a ring buffer is answered from its
 * registration alone; below the quorum, with a detached position ({@link Quorum}). Thread-safe;
 * every call completes on the caller's Vert.x context.
 */
final class HistoryReads {

  private final Vertx vertx;
  private final ChannelSlots slots;
  private final Quorum quorum;
  private final int batch;

  /** {@code batch}: the most one ring-buffer read asks for (Hazelcast reads at most the capacity, and 1000). */
  HistoryReads(Vertx vertx, ChannelSlots slots, Quorum quorum, int batch) {
    this.vertx = vertx;
    this.slots = slots;
    this.quorum = quorum;
    this.batch = batch;
  }

  /** See {@link History#since}. */
  Future<Replay> since(String channel, long afterSeq, int limit) {
    Context ctx = vertx.getOrCreateContext();
    Future<Replay> replay = slots.slot(ctx, channel, false).compose(s -> {
      if (s.rb == null) {
        long last = s.lastIdWithoutBuffer();
        return Future.succeededFuture(new Replay(List.of(), afterSeq == last, last));
      }
      if (afterSeq < -1 || DetachedIds.is(afterSeq)) {
        return lastId(s).map(last -> new Replay(List.of(), false, last));
      }
      long from = Math.max(0, s.reg.seq(afterSeq + 1));
      return read(ctx, s, channel, from, limit, new ArrayList<>()).compose(messages -> {
        if (!messages.isEmpty()) {
          boolean complete = messages.get(0).seq() == afterSeq + 1;
          return Future.succeededFuture(new Replay(messages, complete, messages.get(messages.size() - 1).seq()));
        }
        // Nothing to read: either nothing is newer (recovered), or it expired, or the id is ahead.
        return lastId(s).map(last -> new Replay(List.of(), last == afterSeq, last));
      }, err -> err instanceof IllegalArgumentException // ahead of the channel: Hazelcast refuses the read
          ? lastId(s).map(last -> new Replay(List.of(), false, last))
          : Future.failedFuture(err));
    });
    // Below the quorum this side cannot know what the channel holds: a reset at a detached
    // position, which a later resume (on any side, after the heal) answers with a reset again.
    return replay.recover(err -> Quorum.missing(err)
        ? Future.succeededFuture(new Replay(List.of(), false, quorum.detachedId()))
        : Future.failedFuture(err));
  }

  /** {@link #since} for several channels at once (a resume): channel → replay. */
  Future<Map<String, Replay>> sinceAll(Map<String, Long> positions, int limit) {
    Map<String, Replay> out = new LinkedHashMap<>();
    List<Future<?>> reads = new ArrayList<>();
    positions.forEach((channel, seq) -> reads.add(since(channel, seq, limit).onSuccess(r -> out.put(channel, r))));
    return Future.all(reads).map(ignored -> out);
  }

  /** See {@link History#latest}. */
  Future<Replay> latest(String channel, int limit) {
    Context ctx = vertx.getOrCreateContext();
    return slots.slot(ctx, channel, false).compose(s -> s.rb == null
        ? Future.succeededFuture(new Replay(List.of(), true, s.lastIdWithoutBuffer()))
        : read(ctx, s, channel, 0, Integer.MAX_VALUE, new ArrayList<>()).compose(all -> {
          if (all.isEmpty()) {
            return lastId(s).map(last -> new Replay(List.of(), true, last));
          }
          List<Delivery> last = all.subList(Math.max(0, all.size() - limit), all.size());
          return Future.succeededFuture(new Replay(List.copyOf(last), true, all.get(all.size() - 1).seq()));
        }));
  }

  /**
   * Reads from {@code from} (Hazelcast starts at the oldest item still held when {@code from} is
   * older) until the end or {@code limit}; empty when {@code from} is past the end.
   */
  private Future<List<Delivery>> read(Context ctx, Slot s, String channel, long from, int limit, List<Delivery> acc) {
    int max = Math.min(batch, limit - acc.size());
    return HzFutures.on(ctx, s.rb.readManyAsync(from, 0, max, null))
        .compose(rs -> {
          collect(s.reg, channel, rs, acc);
          if (rs.size() == max && acc.size() < limit) {
            return read(ctx, s, channel, rs.getNextSequenceToReadFrom(), limit, acc);
          }
          return Future.succeededFuture(acc);
        });
  }

  /** The channel's last id (the one before the first when it has none); a synchronous call, so on a worker. */
  private Future<Long> lastId(Slot s) {
    return vertx.executeBlocking(() -> s.reg.id(s.rb.tailSequence()), false);
  }

  private static void collect(Registration reg, String channel, ReadResultSet<String> rs, List<Delivery> acc) {
    for (int i = 0; i < rs.size(); i++) {
      long id = reg.id(rs.getSequence(i));
      String tail = rs.get(i);
      acc.add(new Delivery(channel, id, Envelope.tsOf(tail), Envelope.full(channel, id, tail)));
    }
  }
}
