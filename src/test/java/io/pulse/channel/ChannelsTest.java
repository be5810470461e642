package io.pulse.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ChannelsTest {

  @ParameterizedTest
  @ValueSource(strings = {"a", "sensors.s-01", "chat.lobby", "a.b.c.d.e.f.g.h", "A_b-9"})
  void validChannels(String name) {
    assertNull(Channels.channelError(name));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "a.", ".a", "a..b", "a b", "a/b", "a.*", "é", "a.b.c.d.e.f.g.h.i", "a:b", "a,b"})
  void invalidChannels(String name) {
    assertNotNull(Channels.channelError(name));
  }

  @Test
  void lengthLimit() {
    assertNull(Channels.channelError("a".repeat(200)));
    assertNotNull(Channels.channelError("a".repeat(201)));
  }

  @Test
  void patterns() {
    assertNull(Channels.subscriptionError("sensors.*"));
    assertNull(Channels.subscriptionError("a.b.*"));
    assertNotNull(Channels.subscriptionError("*"));
    assertNotNull(Channels.subscriptionError("a.*.b"));
    assertNotNull(Channels.subscriptionError("a.b.c.d.e.f.g.h.*"));
    assertTrue(Channels.matches("a.b.*", "a.b.c"));
    assertTrue(Channels.matches("a.b.*", "a.b.c.d"));
    assertFalse(Channels.matches("a.b.*", "a.b"));
    assertFalse(Channels.matches("a.b.*", "a.bc.d"));
    assertEquals(List.of("a", "a.b"), Channels.prefixes("a.b.c"));
    assertEquals(List.of(), Channels.prefixes("a"));
  }
}
