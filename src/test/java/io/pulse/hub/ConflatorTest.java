package io.pulse.hub;

import io.pulse.messages.Delivery;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The latest-per-channel buffer on its own. */
class ConflatorTest {

  static Delivery msg(String channel, long seq) {
    return new Delivery(channel, seq, 1L, "{\"channel\":\"" + channel + "\",\"id\":\"" + seq + "\",\"data\":{\"v\":" + seq + "}}");
  }

  @Test
  @DisplayName("keeps the latest message per channel, replaced in place, and counts what it skipped")
  void latestPerChannel() {
    Conflator c = new Conflator(1 << 20);
    assertEquals(Conflator.ADDED, c.offer(msg("a", 1)));
    assertEquals(Conflator.ADDED, c.offer(msg("b", 1)));
    for (long seq = 2; seq <= 100; seq++) {
      assertEquals(Conflator.REPLACED, c.offer(msg("a", seq)));
    }
    assertEquals(Conflator.REPLACED, c.offer(msg("b", 2)));
    assertEquals(2, c.size(), "one entry per channel, whatever the rate");
    assertEquals(msg("a", 100).envelope().length() + msg("b", 2).envelope().length(), c.bytes());

    Delivery a = c.poll(); // a waited first
    assertEquals("a", a.channel());
    assertEquals(100, a.seq());
    JsonObject env = new JsonObject(a.envelope());
    assertEquals(99, env.getInteger("conflated"), "99 messages of a skipped before this one");
    assertEquals(100, env.getJsonObject("data").getInteger("v"));
    Delivery b = c.poll();
    assertEquals(1, new JsonObject(b.envelope()).getInteger("conflated"));
    assertNull(c.poll());
    assertTrue(c.isEmpty());
    assertEquals(0, c.bytes());
  }

  @Test
  @DisplayName("a message that was never replaced goes out unchanged, without a conflated field")
  void untouched() {
    Conflator c = new Conflator(1 << 20);
    Delivery d = msg("a", 7);
    c.offer(d);
    assertEquals(d, c.poll());
  }

  @Test
  @DisplayName("an older message is counted as skipped, the same one heard again is ignored")
  void olderAndDuplicate() {
    Conflator c = new Conflator(1 << 20);
    c.offer(msg("a", 5));
    assertEquals(Conflator.DUPLICATE, c.offer(msg("a", 5)));
    assertEquals(Conflator.SKIPPED, c.offer(msg("a", 4)));
    Delivery d = c.poll();
    assertEquals(5, d.seq());
    assertEquals(1, new JsonObject(d.envelope()).getInteger("conflated"));
  }

  @Test
  @DisplayName("what it holds never goes over its byte bound: a message that would is refused")
  void bounded() {
    int size = msg("c0", 1).envelope().length();
    Conflator c = new Conflator(3L * size);
    assertEquals(Conflator.ADDED, c.offer(msg("c0", 1)));
    assertEquals(Conflator.ADDED, c.offer(msg("c1", 1)));
    assertEquals(Conflator.ADDED, c.offer(msg("c2", 1)));
    assertEquals(Conflator.OVERFLOW, c.offer(msg("c3", 1)));
    assertEquals(Conflator.REPLACED, c.offer(msg("c2", 2)), "a replacement of the same size fits");
    assertEquals(Conflator.OVERFLOW, c.offer(msg("c2", 1000)), "a longer one does not");
    assertEquals(3, c.size());
    assertTrue(c.bytes() <= 3L * size);
  }

  @Test
  @DisplayName("removeIf drops the entries it selects and their bytes")
  void removeIf() {
    Conflator c = new Conflator(1 << 20);
    c.offer(msg("x.a", 1));
    c.offer(msg("y.a", 1));
    assertEquals(1, c.removeIf(ch -> ch.startsWith("x.")));
    assertFalse(c.holds("x.a"));
    assertTrue(c.holds("y.a"));
    assertEquals(msg("y.a", 1).envelope().length(), c.bytes());
    c.clear();
    assertTrue(c.isEmpty());
    assertEquals(0, c.bytes());
  }
}
