package io.pulse.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pulse.messages.Envelope;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DetachedIdsTest {

  @Test
  @DisplayName("detached ids are above every history id, increase even when the clock stands still or goes back,"
      + " keep the node's salt, and parse back as ids")
  void increasingAndApart() {
    AtomicLong clock = new AtomicLong(1_800_000_000_000L);
    DetachedIds a = new DetachedIds(7, clock::get);
    DetachedIds b = new DetachedIds(8, clock::get);
    long first = a.next();
    assertTrue(DetachedIds.is(first));
    assertFalse(DetachedIds.is(DetachedIds.BASE - 1));
    long second = a.next(); // same millisecond
    clock.addAndGet(-5_000); // clock stepped back
    long third = a.next();
    assertTrue(first < second && second < third);
    for (long id : new long[] {first, second, third}) {
      assertEquals(7, id % 256);
      assertEquals(id, Envelope.seqOf(Envelope.id(id)), "a detached id is an id like the others for resume tokens");
    }
    assertTrue(b.next() != first, "another node's salt");
    assertTrue(first > Long.MAX_VALUE / 10 && first < Long.MAX_VALUE, "room left: " + first);
  }
}
