package io.pulse.conn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResumeTokenTest {

  @Test
  void roundTrip() {
    Map<String, Long> p = new LinkedHashMap<>();
    p.put("sensors.s-01", 41L);
    p.put("sensors.s-02", 7L);
    String token = ResumeToken.encode(p);
    assertEquals("sensors.s-01:41,sensors.s-02:7", token);
    assertEquals(p, ResumeToken.decode(token, null));
  }

  @Test
  void singleChannelUsesTheBareId() {
    assertEquals(Map.of("chat.lobby", 12L), ResumeToken.decode("12", "chat.lobby"));
    assertNull(ResumeToken.decode("12", null), "a bare id means nothing for a pattern stream");
  }

  @Test
  void garbageIsNotAToken() {
    assertNull(ResumeToken.decode("abc", "c"));
    assertNull(ResumeToken.decode("a b:1", null));
    assertNull(ResumeToken.decode("c:x", null));
    assertNull(ResumeToken.decode(":5", null));
    assertEquals(Map.of(), ResumeToken.decode("", null));
  }
}
