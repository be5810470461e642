package io.pulse.history;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.RingbufferConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import com.hazelcast.ringbuffer.OverflowPolicy;
import com.hazelcast.ringbuffer.ReadResultSet;
import com.hazelcast.ringbuffer.Ringbuffer;
import com.hazelcast.spi.merge.PutIfAbsentMergePolicy;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import io.pulse.cluster.HzFutures;
import io.pulse.history.Registration.State;
import io.pulse.messages.Delivery;
import io.pulse.messages.Envelope;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-channel replay window (SPEC §7), one Hazelcast ring buffer per channel.
 *
 * <p>The ring buffer assigns each message its sequence, from which its id follows, so ids order a
 * channel cluster-wide. It keeps the last {@code history.size} messages no older than
 * {@code history.ttlSeconds}, with one synchronous backup on another member: losing any one node
 * loses none of it. Items are the envelope text without channel and id ({@link Envelope#tail}).
 *
 * <p>A ring buffer exists only while a channel has, or recently had, messages. The registry
 * ({@link #CHANNELS}, channel → {@link Registration}) says which: a channel's first message
 * registers it; a read of a channel that is not registered answers "nothing yet" without touching
 * any ring buffer (otherwise every read of a made-up name would leave one behind for good); and a
 * channel whose messages have all expired is retired by {@link #retireIdle}: its ring buffer is
 * destroyed and its next message starts a new one whose ids continue where the old ones ended.
 *
 * <p>Retiring is safe without a lock on the publish path. Each node keeps the registration of the
 * channels it uses and confirms it with the registry before using it again once it is older than
 * {@code validNanos}. Retiring takes two checks: the first marks the channel
 * {@link State#RETIRING}, and only a check at least {@code 2 × validNanos} later destroys the ring
 * buffer, by which time every node has either stopped using its registration or confirmed it,
 * seen the mark and taken it back (a use revives the channel).
 *
 * <p>With {@code cluster.quorum}, the history exists only on a side of a split brain that has that
 * many members ({@link #configure}): on the other side appends fail, reads answer "not recovered"
 * at a detached position ({@link DetachedIds}), and the publish path delivers live with detached ids
 * (docs: partitions.md).
 *
 * <p>Thread-safe; every call except {@link #retireIdle} is asynchronous and completes on the
 * caller's Vert.x context.
 */
public final class History {

  private static final Logger LOG = LoggerFactory.getLogger(History.class);

  /** Ring buffer names: {@code pulse.history.<channel>} (then {@code ~<generation>}, see {@link Registration}). */
  public static final String NAME_PREFIX = "pulse.history.";

  /** The registry of channels that have a window: channel → {@link Registration} text. */
  public static final String CHANNELS = "pulse.history-channels";

  /** The split-brain protection of the history's ring buffers and registry ({@code cluster.quorum}). */
  public static final String QUORUM = "pulse.history-quorum";

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final int batch;
  private final long validNanos;
  /** Channels this node uses (or is looking up), active only. Shared as CompletableFutures: those belong to no context. */
  private final ConcurrentMap<String, CompletableFuture<Slot>> slots = new ConcurrentHashMap<>();
  /** Channels marked for retiring by this node's {@link #retireIdle}: when (nanoTime). */
  private final Map<String, Long> marked = new ConcurrentHashMap<>();
  private final IMap<String, String> channels;
  private final DetachedIds detached = new DetachedIds();
  private final boolean quorumConfigured;

  /**
   * {@code size}: history.size; reads are batched by it (Hazelcast reads at most the capacity, and
   * 1000). {@code retireCheckSeconds}: history.retireCheckSeconds, how often {@link #retireIdle}
   * runs; a node confirms a registration it has not confirmed for 0.4 of that. Blocking (creates
   * the registry's proxy, which may talk to other members): call it off the event loop.
   */
  public History(Vertx vertx, HazelcastInstance hz, int size, int retireCheckSeconds) {
    this.vertx = vertx;
    this.hz = hz;
    this.channels = hz.getMap(CHANNELS);
    this.quorumConfigured = hz.getConfig().getSplitBrainProtectionConfigs().containsKey(QUORUM);
    this.batch = Math.min(1000, size);
    this.validNanos = TimeUnit.SECONDS.toNanos(retireCheckSeconds) * 2 / 5;
  }

  /**
   * Adds the replay-window settings to a member config (before the member starts).
   *
   * <p>{@code quorum} ({@code cluster.quorum}): with 2 or more, the ring buffers and the registry
   * are read and written only while this member's side of the cluster has at least that many
   * members. On the smaller side of a split every history call then fails with a
   * {@link SplitBrainProtectionException} ({@link #noQuorum}), instead of handing out ids that the
   * other side hands out too; that side's live messages go out with detached ids
   * ({@link DetachedIds}).
   *
   * <p>Merge policy {@code PutIfAbsentMergePolicy} for both: after a heal the larger side's copy of
   * a channel wins and the smaller side's copy only fills in what the larger side lacks. With the
   * quorum set, the smaller side cannot have written anything, so its copy is an older or equal
   * state of the same window; the larger side's is the one to keep (docs: partitions.md).
   */
  public static void configure(Config config, int size, int ttlSeconds, int quorum) {
    String policy = PutIfAbsentMergePolicy.class.getName();
    RingbufferConfig rings = new RingbufferConfig(NAME_PREFIX + "*")
        .setCapacity(size)
        .setTimeToLiveSeconds(ttlSeconds)
        .setBackupCount(1)
        .setAsyncBackupCount(0)
        .setMergePolicyConfig(new MergePolicyConfig(policy, MergePolicyConfig.DEFAULT_BATCH_SIZE));
    MapConfig registry = new MapConfig(CHANNELS)
        .setBackupCount(1)
        .setAsyncBackupCount(0)
        .setMergePolicyConfig(new MergePolicyConfig(policy, MergePolicyConfig.DEFAULT_BATCH_SIZE));
    if (quorum > 1) {
      config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(QUORUM, true, quorum)
          .setProtectOn(SplitBrainProtectionOn.READ_WRITE));
      rings.setSplitBrainProtectionName(QUORUM);
      registry.setSplitBrainProtectionName(QUORUM);
    }
    config.addRingBufferConfig(rings);
    config.addMapConfig(registry);
  }

  /** True when {@code err} (or its cause) says this side of a split is below {@code cluster.quorum}. */
  public static boolean noQuorum(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SplitBrainProtectionException) {
        return true;
      }
    }
    return false;
  }

  /** Appends a message; the future holds its id (as a number). */
  public Future<Long> append(String channel, String tail) {
    Context ctx = vertx.getOrCreateContext();
    return slot(ctx, channel, true).compose(s -> HzFutures.on(ctx, s.rb.addAsync(tail, OverflowPolicy.OVERWRITE))
        .map(s.reg::id));
  }

  /**
   * What a client that last saw {@code afterSeq} on {@code channel} missed, oldest first, at most
   * {@code limit} messages. {@code recovered} is false when part of it has left the window or
   * {@code afterSeq} is unknown (ahead of the channel, or not an id: -2).
   */
  public Future<Replay> since(String channel, long afterSeq, int limit) {
    Context ctx = vertx.getOrCreateContext();
    Future<Replay> replay = slot(ctx, channel, false).compose(s -> {
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
    return replay.recover(err -> noQuorum(err)
        ? Future.succeededFuture(new Replay(List.of(), false, detached.next()))
        : Future.failedFuture(err));
  }

  /**
   * False while this node's side of a split is below {@code cluster.quorum} (the history is
   * neither read nor written there); always true without a quorum. A local check, no network.
   */
  public boolean writable() {
    return !quorumConfigured || hz.getSplitBrainProtectionService().getSplitBrainProtection(QUORUM).hasMinimumSize();
  }

  /** A fresh detached id ({@link DetachedIds}), for a message this side cannot write to the history. */
  public long detachedId() {
    return detached.next();
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
    Context ctx = vertx.getOrCreateContext();
    return slot(ctx, channel, false).compose(s -> s.rb == null
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
   * One round of retiring, over the registrations this member owns: marks the active channels
   * whose window is empty (every message expired), and retires those that were marked by an
   * earlier round at least {@code 2 × validNanos} ago and are still empty. Blocking: call it on a
   * worker, at most one at a time. Returns how many channels it retired.
   */
  public int retireIdle() {
    IMap<String, String> map = channels;
    long now = System.nanoTime();
    Set<String> stillMarked = new HashSet<>();
    int retired = 0;
    for (String channel : map.localKeySet(Predicates.not(Predicates.like("this", "%," + State.RETIRED.code)))) {
      String text = map.get(channel);
      if (text == null) {
        continue;
      }
      Registration reg = Registration.parse(text);
      if (reg.state() == State.RETIRED) {
        continue;
      }
      Ringbuffer<String> rb = hz.getRingbuffer(reg.ringName(channel));
      if (reg.state() == State.ACTIVE) {
        if (rb.size() == 0 && map.replace(channel, text, reg.retiring().encode())) {
          marked.put(channel, now);
          stillMarked.add(channel);
        }
        continue;
      }
      Long since = marked.putIfAbsent(channel, now); // marked before this node owned the entry: wait from now
      if (since == null || now - since < 2 * validNanos) {
        stillMarked.add(channel);
        continue;
      }
      if (rb.size() > 0) {
        map.replace(channel, text, reg.active().encode());
      } else if (map.replace(channel, text, reg.retired(rb.tailSequence()).encode())) {
        destroy(rb);
        retired++;
      }
    }
    marked.keySet().retainAll(stillMarked);
    return retired;
  }

  /** Drops this node's registrations that have not been used (confirmed) for a while. */
  public void forgetUnused() {
    long now = System.nanoTime();
    slots.forEach((channel, pending) -> {
      Slot s = pending.isDone() && !pending.isCompletedExceptionally() ? pending.join() : null;
      if (s != null && now - s.checkedAt > validNanos) {
        slots.remove(channel, pending);
      }
    });
  }

  private static void destroy(Ringbuffer<String> rb) {
    try {
      rb.destroy();
    } catch (RuntimeException e) {
      LOG.warn("could not destroy the retired ring buffer {}: {}", rb.getName(), e.toString());
    }
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

  /**
   * The channel's registration and ring buffer, confirmed with the registry within
   * {@code validNanos}; looked up (once at a time per channel) when unknown or older. For an
   * append, an unregistered or retired channel is registered or revived first; for a read it is
   * not, and the slot has no ring buffer. A registration past half its validity is confirmed in
   * the background while it is still used.
   */
  private Future<Slot> slot(Context ctx, String channel, boolean forAppend) {
    CompletableFuture<Slot> pending = slots.get(channel);
    if (pending != null) {
      if (!pending.isDone()) {
        return HzFutures.on(ctx, pending).compose(s -> usable(ctx, channel, s, forAppend));
      }
      Slot s = pending.isCompletedExceptionally() ? null : pending.join();
      long age = s == null || s.rb == null ? Long.MAX_VALUE : System.nanoTime() - s.checkedAt;
      if (age < validNanos) {
        if (age > validNanos / 2 && s.refreshing.compareAndSet(false, true)) {
          refresh(channel, pending);
        }
        return Future.succeededFuture(s);
      }
    }
    CompletableFuture<Slot> mine = new CompletableFuture<>();
    if (pending == null ? slots.putIfAbsent(channel, mine) != null : !slots.replace(channel, pending, mine)) {
      return slot(ctx, channel, forAppend); // someone else is looking it up, or just did
    }
    lookUp(channel, forAppend).onComplete(ar -> {
      if (ar.failed() || ar.result().rb == null) {
        slots.remove(channel, mine); // only active registrations are kept
      }
      if (ar.failed()) {
        mine.completeExceptionally(ar.cause());
      } else {
        mine.complete(ar.result());
      }
    });
    return HzFutures.on(ctx, mine).compose(s -> usable(ctx, channel, s, forAppend));
  }

  /** An append that waited on a read's lookup of a channel without a ring buffer looks it up itself. */
  private Future<Slot> usable(Context ctx, String channel, Slot s, boolean forAppend) {
    return forAppend && s.rb == null ? slot(ctx, channel, true) : Future.succeededFuture(s);
  }

  private void refresh(String channel, CompletableFuture<Slot> current) {
    lookUp(channel, false).onComplete(ar -> {
      if (ar.failed()) {
        current.join().refreshing.set(false); // try again on a later use
      } else if (ar.result().rb == null) {
        slots.remove(channel, current);
      } else {
        slots.replace(channel, current, CompletableFuture.completedFuture(ar.result()));
      }
    });
  }

  /**
   * Reads (and for an append, creates or revives) the channel's registration. A read starts with
   * one asynchronous registry read, which answers a channel without a ring buffer by itself, so
   * that requests for names nobody uses cannot tie up worker threads; a ring-buffer proxy or a
   * registry update finishes on a worker.
   */
  private Future<Slot> lookUp(String channel, boolean forAppend) {
    if (forAppend) {
      return lookUpBlocking(channel, true);
    }
    long now = System.nanoTime();
    return HzFutures.on(vertx.getOrCreateContext(), channels.getAsync(channel)).compose(text -> {
      if (text == null) {
        return Future.succeededFuture(new Slot(null, null, now));
      }
      Registration reg = Registration.parse(text);
      return switch (reg.state()) {
        case RETIRED -> Future.succeededFuture(new Slot(reg, null, now));
        case ACTIVE -> vertx.executeBlocking(() -> new Slot(reg, hz.getRingbuffer(reg.ringName(channel)), now), false);
        case RETIRING -> lookUpBlocking(channel, false); // takes the mark back
      };
    });
  }

  private Future<Slot> lookUpBlocking(String channel, boolean forAppend) {
    return vertx.executeBlocking(() -> {
      IMap<String, String> map = channels;
      while (true) {
        long now = System.nanoTime();
        String text = map.get(channel);
        if (text == null) {
          if (!forAppend) {
            return new Slot(null, null, now);
          }
          if (map.putIfAbsent(channel, Registration.FIRST.encode()) == null) {
            return new Slot(Registration.FIRST, hz.getRingbuffer(Registration.FIRST.ringName(channel)), now);
          }
          continue;
        }
        Registration reg = Registration.parse(text);
        if (reg.state() == State.ACTIVE) {
          return new Slot(reg, hz.getRingbuffer(reg.ringName(channel)), now);
        }
        if (reg.state() == State.RETIRED && !forAppend) {
          return new Slot(reg, null, now);
        }
        Registration active = reg.active(); // a use takes back a mark, or revives a retired channel
        if (map.replace(channel, text, active.encode())) {
          return new Slot(active, hz.getRingbuffer(active.ringName(channel)), now);
        }
      }
    }, false);
  }

  /**
   * A channel's registration as this node last confirmed it, at {@code checkedAt} (nanoTime), and
   * its ring buffer. Without a ring buffer: not registered ({@code reg} null) or retired.
   */
  private static final class Slot {
    final Registration reg;
    final Ringbuffer<String> rb;
    final long checkedAt;
    final AtomicBoolean refreshing = new AtomicBoolean();

    Slot(Registration reg, Ringbuffer<String> rb, long checkedAt) {
      this.reg = reg;
      this.rb = rb;
      this.checkedAt = checkedAt;
    }

    /** The last id of a channel without a ring buffer: -1 when never registered. */
    long lastIdWithoutBuffer() {
      return reg == null ? -1 : reg.id(-1);
    }
  }

  /**
   * A replay: the messages (oldest first), whether they are complete, and the position: the id
   * of the last message returned, or when none, the channel's last id (-1: none).
   */
  public record Replay(List<Delivery> messages, boolean recovered, long position) {
  }
}
