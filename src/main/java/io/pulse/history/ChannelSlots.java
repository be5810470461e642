package io.pulse.history;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.ringbuffer.Ringbuffer;
import io.pulse.cluster.HzFutures;
import io.pulse.history.Registration.State;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * This node's view of the registry ({@link History#CHANNELS}): for each channel it uses, the
 * {@link Registration} it last confirmed and the ring buffer it names.
 *
 * <p>A channel's first message registers it; a read of a channel that is not registered answers
 * "nothing yet" without touching any ring buffer (otherwise every read of a made-up name would
 * leave one behind for good). A registration is confirmed with the registry again before it is used
 * once it is older than {@code validNanos}: that bound is what lets {@link ChannelRetirer} retire a
 * channel without a lock on the publish path. Thread-safe.
 */
final class ChannelSlots {

  private final Vertx vertx;
  private final HazelcastInstance hz;
  private final IMap<String, String> channels;
  private final long validNanos;
  /** Channels this node uses (or is looking up), active only. Shared as CompletableFutures: those belong to no context. */
  private final ConcurrentMap<String, CompletableFuture<Slot>> slots = new ConcurrentHashMap<>();

  ChannelSlots(Vertx vertx, HazelcastInstance hz, IMap<String, String> channels, long validNanos) {
    this.vertx = vertx;
    this.hz = hz;
    this.channels = channels;
    this.validNanos = validNanos;
  }

  /**
   * The channel's registration and ring buffer, confirmed with the registry within
   * {@code validNanos}; looked up (once at a time per channel) when unknown or older. For an
   * append, an unregistered or retired channel is registered or revived first; for a read it is
   * not, and the slot has no ring buffer. A registration past half its validity is confirmed in
   * the background while it is still used.
   */
  Future<Slot> slot(Context ctx, String channel, boolean forAppend) {
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

  /** Drops this node's registrations that have not been used (confirmed) for a while. */
  void forgetUnused() {
    long now = System.nanoTime();
    slots.forEach((channel, pending) -> {
      Slot s = pending.isDone() && !pending.isCompletedExceptionally() ? pending.join() : null;
      if (s != null && now - s.checkedAt > validNanos) {
        slots.remove(channel, pending);
      }
    });
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
  static final class Slot {
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
}
