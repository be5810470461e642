package io.pulse.chat;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * One sender's asynchronous steps, released in the order they were started whatever order they
 * complete in. The chat keeps one per connection for the moderator's verdicts: the requests go
 * out at once and overlap, but a message reaches its room only after the verdicts on the
 * connection's earlier messages, and a slow verdict holds back that connection alone.
 *
 * <p>Bounded: at most {@code limit} steps wait (started, not yet released, done or not);
 * {@link #offer} refuses more without starting the step. {@link #close} forgets what waits, and
 * results that come later are ignored. Not thread-safe: one connection's event loop, where the
 * steps' futures complete.
 */
public final class OrderedRelease<T> {

  private static final class Slot<T> {
    final Handler<AsyncResult<T>> release;
    AsyncResult<T> result;

    Slot(Handler<AsyncResult<T>> release) {
      this.release = release;
    }
  }

  private final int limit;
  private final ArrayDeque<Slot<T>> waiting = new ArrayDeque<>();
  private boolean releasing;
  private boolean closed;

  public OrderedRelease(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1");
    }
    this.limit = limit;
  }

  /**
   * Starts {@code step} and hands its result, success or failure, to {@code release} once every
   * step offered before it has been released. False, and {@code step} is not started, when
   * {@code limit} steps already wait or after {@link #close}.
   */
  public boolean offer(Supplier<Future<T>> step, Handler<AsyncResult<T>> release) {
    if (closed || waiting.size() >= limit) {
      return false;
    }
    Slot<T> slot = new Slot<>(release);
    waiting.add(slot);
    Future<T> started;
    try {
      started = step.get();
    } catch (RuntimeException e) {
      started = Future.failedFuture(e); // released as a failure, in its turn, not stuck at the head
    }
    started.onComplete(ar -> {
      slot.result = ar;
      drain();
    });
    return true;
  }

  /** Steps offered and not yet released. */
  public int waiting() {
    return waiting.size();
  }

  /** The sender is gone: what waits is dropped, never released, and nothing more is taken. */
  public void close() {
    closed = true;
    waiting.clear();
  }

  private void drain() {
    if (releasing) {
      return; // a release that completed another step: the loop below picks it up
    }
    releasing = true;
    try {
      while (!closed && !waiting.isEmpty() && waiting.peek().result != null) {
        Slot<T> head = waiting.poll();
        head.release.handle(head.result);
      }
    } finally {
      releasing = false;
    }
  }
}
