package io.pulse.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.ext.bridge.PermittedOptions;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BridgePermissionsTest {

  @Test
  @DisplayName("exact entries and prefix patterns, in Pulse's check and in vertx-web's form alike")
  void entries() {
    List<String> entries = List.of("app.moderation", "app.news.*");
    for (String address : List.of("app.moderation", "app.news.x", "app.news.x.y")) {
      assertTrue(BridgePermissions.allows(entries, address), address);
      assertTrue(vertxWebAllows(entries, address), address);
    }
    for (String address : List.of("app.moderation2", "app.news", "app.news.", "app.newsx.y", "pulse.publish", "app")) {
      assertFalse(BridgePermissions.allows(entries, address), address);
      assertFalse(vertxWebAllows(entries, address), address);
    }
    assertFalse(BridgePermissions.allows(List.of(), "app.moderation"), "default deny");
    PermittedOptions exact = BridgePermissions.permitted("app.moderation");
    assertEquals("app.moderation", exact.getAddress());
    assertNull(exact.getAddressRegex());
  }

  /** What EventBusBridgeImpl does with the options: equals for an address, a full regex match otherwise. */
  private static boolean vertxWebAllows(List<String> entries, String address) {
    return BridgePermissions.permitted(entries).stream().anyMatch(p -> p.getAddress() != null
        ? p.getAddress().equals(address) : Pattern.compile(p.getAddressRegex()).matcher(address).matches());
  }

  @Test
  @DisplayName("the rec frame: the registered address and the envelope as the body, unescaped")
  void recFrame() {
    String env = "{\"channel\":\"sensors.s-01\",\"id\":\"7\",\"data\":1}";
    io.vertx.core.json.JsonObject f = new io.vertx.core.json.JsonObject(BridgeSession.rec("sensors.*", env));
    assertEquals("rec", f.getString("type"));
    assertEquals("pulse.ch.sensors.*", f.getString("address"));
    assertEquals("sensors.s-01", f.getJsonObject("body").getString("channel"));
  }
}
