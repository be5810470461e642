package io.pulse.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PauseGuardTest {

  final AtomicReference<Set<String>> view = new AtomicReference<>(Set.of("me", "a", "b"));
  final AtomicInteger expelled = new AtomicInteger();
  final PauseGuard guard = new PauseGuard(10_000, view::get, expelled::incrementAndGet);

  /** Ticks every 500 ms from {@code from}, {@code n} times; returns the time of the last tick. */
  long run(long from, int n) {
    long t = from;
    for (int i = 0; i < n; i++) {
      t = from + i * PauseGuard.TICK_MS;
      guard.tick(t);
    }
    return t;
  }

  @Test
  void membersLeavingWithoutAPauseIsNotAnExpulsion() {
    long t = run(0, 10);
    view.set(Set.of("me"));
    run(t + 500, 10);
    assertEquals(0, expelled.get());
  }

  @Test
  void aPauseAfterWhichTheOthersAreGoneExpelsOnce() {
    long t = run(0, 10);
    guard.tick(t + 30_000); // resumed, the view not updated yet
    assertEquals(0, expelled.get());
    view.set(Set.of("me")); // our Hazelcast notices the others' silence and forms a cluster of one
    run(t + 31_000, 5);
    assertEquals(1, expelled.get());
    view.set(Set.of("me2", "a", "b")); // a later merge changes nothing
    run(t + 40_000, 5);
    assertEquals(1, expelled.get());
  }

  @Test
  void aMergeThatRestartedUsUnderANewIdAlsoCounts() {
    long t = run(0, 4);
    guard.tick(t + 12_000);
    view.set(Set.of("me-after-merge", "a", "b"));
    guard.tick(t + 12_500);
    assertEquals(1, expelled.get());
  }

  @Test
  void aPauseShorterThanTheHeartbeatTimeoutIsIgnored() {
    long t = run(0, 4);
    guard.tick(t + 9_000);
    view.set(Set.of("me")); // a real departure right after
    run(t + 9_500, 10);
    assertEquals(0, expelled.get());
  }

  @Test
  void aPauseWithTheViewIntactCarriesOnAndStopsWatching() {
    long t = run(0, 4);
    t = run(t + 20_000, PauseGuard.WATCH_TICKS + 1); // the whole cluster was frozen together
    assertEquals(0, expelled.get());
    view.set(Set.of("me")); // a later, ordinary departure
    run(t + 500, 5);
    assertEquals(0, expelled.get());
  }
}
