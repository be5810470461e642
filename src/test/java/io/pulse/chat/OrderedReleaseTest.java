package io.pulse.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** One sender's verdicts released in order, on their own: no sockets, no Vert.x instance. */
class OrderedReleaseTest {

  final List<String> released = new ArrayList<>();

  /** Offers a pending step for {@code label}; its promise completes it. */
  Promise<String> offer(OrderedRelease<String> q, String label) {
    Promise<String> p = Promise.promise();
    assertTrue(q.offer(p::future, ar -> released.add(ar.succeeded() ? ar.result() : "x:" + ar.cause().getMessage())),
        "refused " + label);
    return p;
  }

  @Test
  @DisplayName("results that complete in any order are released in the order offered")
  void releasedInOrder() {
    long seed = System.nanoTime();
    System.out.println("OrderedReleaseTest seed " + seed);
    Random random = new Random(seed);
    OrderedRelease<String> q = new OrderedRelease<>(100);
    List<Promise<String>> steps = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      steps.add(offer(q, "m" + i));
      expected.add(i % 9 == 4 ? "x:rejected " + i : "m" + i);
    }
    List<Integer> completion = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      completion.add(i);
    }
    Collections.shuffle(completion, random);
    for (int i : completion) {
      if (i % 9 == 4) {
        steps.get(i).fail("rejected " + i);
      } else {
        steps.get(i).complete("m" + i);
      }
    }
    assertEquals(expected, released, "seed " + seed);
    assertEquals(0, q.waiting());
  }

  @Test
  @DisplayName("a later result waits for the earlier one, then both go at once; a failure is released in its turn")
  void laterWaitsForEarlier() {
    OrderedRelease<String> q = new OrderedRelease<>(10);
    Promise<String> first = offer(q, "a");
    Promise<String> second = offer(q, "b");
    Promise<String> third = offer(q, "c");
    third.complete("c");
    second.fail("timeout");
    assertEquals(List.of(), released, "nothing passes the first, still pending");
    assertEquals(3, q.waiting());
    first.complete("a");
    assertEquals(List.of("a", "x:timeout", "c"), released);
    assertEquals(0, q.waiting());
  }

  @Test
  @DisplayName("a step already done when offered is released at once when nothing waits before it")
  void doneStepsPassStraightThrough() {
    OrderedRelease<String> q = new OrderedRelease<>(1);
    for (int i = 0; i < 5; i++) {
      String text = "t" + i;
      assertTrue(q.offer(() -> Future.succeededFuture(text), ar -> released.add(ar.result())));
    }
    assertEquals(List.of("t0", "t1", "t2", "t3", "t4"), released, "a limit of 1 never refuses steps that are done");
  }

  @Test
  @DisplayName("bounded: over the limit the step is refused and not started; room again once released")
  void bounded() {
    OrderedRelease<String> q = new OrderedRelease<>(3);
    Promise<String> first = offer(q, "a");
    offer(q, "b").complete("b"); // done, but waits behind a: still counts
    offer(q, "c");
    int[] started = {0};
    assertFalse(q.offer(() -> {
      started[0]++;
      return Future.succeededFuture("d");
    }, ar -> released.add("d")));
    assertEquals(0, started[0], "a refused step is not started (no request to the moderator)");
    assertEquals(3, q.waiting());
    first.complete("a");
    assertEquals(List.of("a", "b"), released);
    assertEquals(1, q.waiting(), "c still pending");
    offer(q, "d");
    assertEquals(2, q.waiting());
  }

  @Test
  @DisplayName("after close nothing waits, later results are ignored, and nothing more is taken")
  void closeReleasesState() {
    OrderedRelease<String> q = new OrderedRelease<>(5);
    Promise<String> a = offer(q, "a");
    Promise<String> b = offer(q, "b");
    b.complete("b");
    q.close();
    assertEquals(0, q.waiting());
    a.complete("a");
    assertEquals(List.of(), released, "a sender that is gone publishes nothing");
    assertFalse(q.offer(() -> Future.succeededFuture("c"), ar -> released.add("c")));
    assertEquals(List.of(), released);
  }

  @Test
  @DisplayName("a release that completes the next step (re-entrant) keeps the order")
  void reentrantRelease() {
    OrderedRelease<String> q = new OrderedRelease<>(5);
    Promise<String> a = Promise.promise();
    Promise<String> b = Promise.promise();
    Promise<String> c = Promise.promise();
    q.offer(a::future, ar -> {
      released.add("a");
      c.complete("c"); // completes a later step from inside a release
      b.complete("b");
    });
    q.offer(b::future, ar -> released.add(ar.result()));
    q.offer(c::future, ar -> released.add(ar.result()));
    a.complete("a");
    assertEquals(List.of("a", "b", "c"), released);
  }

  @Test
  @DisplayName("a step that throws when started is released as a failure in its turn, not stuck")
  void throwingStep() {
    OrderedRelease<String> q = new OrderedRelease<>(5);
    Promise<String> a = offer(q, "a");
    assertTrue(q.offer(() -> {
      throw new IllegalStateException("boom");
    }, ar -> released.add("x:" + ar.cause().getMessage())));
    Promise<String> c = offer(q, "c");
    c.complete("c");
    a.complete("a");
    assertEquals(List.of("a", "x:boom", "c"), released);
  }
}
