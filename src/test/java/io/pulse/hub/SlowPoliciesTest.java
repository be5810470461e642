package io.pulse.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which policy a subscription gets, and which a client may ask for. */
class SlowPoliciesTest {

  final SlowPolicies policies = SlowPolicies.parse("disconnect", List.of("disconnect", "drop"), new JsonObject()
      .put("sensors.*", new JsonObject().put("default", "conflate").put("allow", List.of("conflate", "drop")))
      .put("sensors.raw.*", new JsonObject().put("allow", List.of()))
      .put("chat.vip", new JsonObject().put("default", "drop")));

  @Test
  @DisplayName("the most specific rule covering the whole subscription applies; else the global settings")
  void mostSpecific() {
    assertEquals(SlowPolicy.CONFLATE, policies.resolve("sensors.*", null));
    assertEquals(SlowPolicy.CONFLATE, policies.resolve("sensors.s-01", null));
    assertEquals(SlowPolicy.CONFLATE, policies.resolve("sensors.a.*", null));
    assertEquals(SlowPolicy.DISCONNECT, policies.resolve("sensors.raw.x", null), "sensors.raw.*: the global default");
    assertEquals(SlowPolicy.DROP, policies.resolve("chat.vip", null));
    assertEquals(SlowPolicy.DISCONNECT, policies.resolve("chat.*", null), "chat.vip does not cover chat.*");
    assertEquals(SlowPolicy.DISCONNECT, policies.resolve("other", null));
  }

  @Test
  @DisplayName("a client may choose among the allowed policies, the default always included")
  void choose() {
    assertEquals(SlowPolicy.DROP, policies.resolve("sensors.*", "drop"));
    assertEquals(SlowPolicy.DROP, policies.resolve("other", "drop"));
    assertEquals(SlowPolicy.DISCONNECT, policies.resolve("sensors.raw.x", "disconnect"), "its default");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> policies.resolve("sensors.*", "disconnect"));
    assertEquals("policy 'disconnect' is not allowed on sensors.* (allowed: drop, conflate; see limits.slowConsumerChannels)",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> policies.resolve("other", "conflate"));
    e = assertThrows(IllegalArgumentException.class, () -> policies.resolve("other", "latest"));
    assertEquals("policy must be one of disconnect, drop, conflate, got 'latest'", e.getMessage());
  }

  @Test
  @DisplayName("bad rules are refused with a message naming the rule")
  void badRules() {
    assertTrue(bad(new JsonObject().put("sensors..*", new JsonObject())).contains("invalid channel pattern 'sensors..*'"));
    assertTrue(bad(new JsonObject().put("a.*", "conflate")).contains("'a.*' must be an object"));
    assertTrue(bad(new JsonObject().put("a.*", new JsonObject().put("default", "latest"))).contains("'a.*'.default must be one of"));
    assertTrue(bad(new JsonObject().put("a.*", new JsonObject().put("allow", "drop"))).contains("'a.*'.allow must be an array"));
    assertTrue(bad(new JsonObject().put("a.*", new JsonObject().put("allow", List.of("x")))).contains("'a.*'.allow must be one of"));
    assertTrue(bad(new JsonObject().put("a.*", new JsonObject().put("policy", "drop"))).contains("unknown field 'policy'"));
  }

  private static String bad(JsonObject rules) {
    return assertThrows(IllegalArgumentException.class,
        () -> SlowPolicies.parse("disconnect", List.of(), rules)).getMessage();
  }
}
