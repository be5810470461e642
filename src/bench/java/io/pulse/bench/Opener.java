package io.pulse.bench;

import io.vertx.core.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Runs {@code count} asynchronous steps (connection opens, churn cycles) with at most
 * {@code concurrency} in flight, and waits for them until a deadline.
 */
final class Opener {

  private Opener() {
  }

  /** Starts step i with {@code step.apply(i)} for i in 0 … count-1; returns how it went. */
  static Clients.Opened run(int count, int concurrency, long deadline, IntFunction<Future<?>> step) throws InterruptedException {
    Semaphore slots = new Semaphore(concurrency);
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicReference<String> firstError = new AtomicReference<>();
    long start = System.nanoTime();
    int started = 0;
    for (; started < count; started++) {
      if (!slots.tryAcquire(Math.max(0, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS)) {
        break;
      }
      Future<?> f;
      try {
        f = step.apply(started);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> {
        if (ar.succeeded()) {
          ok.incrementAndGet();
        } else {
          failed.incrementAndGet();
          firstError.compareAndSet(null, String.valueOf(ar.cause()));
        }
        slots.release();
      });
    }
    // wait for the steps in flight: all slots back
    boolean drained = slots.tryAcquire(concurrency, Math.max(0, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    int notDone = count - ok.get() - failed.get();
    if (notDone > 0) {
      firstError.compareAndSet(null, notDone + " not done by the deadline" + (drained ? "" : " (still in flight)"));
    }
    return new Clients.Opened(ok.get(), count - ok.get(), millis, firstError.get());
  }
}
