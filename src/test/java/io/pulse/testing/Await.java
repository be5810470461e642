package io.pulse.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition until it holds, failing the test with {@code what} after a deadline. */
public final class Await {

  private Await() {
  }

  /** Waits up to {@code timeout} for {@code cond}, checking every 20 ms. */
  public static void until(BooleanSupplier cond, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout.toMillis() + " ms: " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting: " + what, e);
      }
    }
  }
}
