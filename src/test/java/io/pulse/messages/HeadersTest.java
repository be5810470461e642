package io.pulse.messages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class HeadersTest {

  static final List<String> SPELLINGS = List.of("pulse-sub", "Pulse-Sub", "PULSE-SUB", "pUlSe-SuB");

  /** What vertx-web's bridge makes of the JSON headers: each value's toString, added to a headers map. */
  static MultiMap asTheBridgeDoes(JsonObject headers) {
    MultiMap m = HttpHeaders.headers();
    headers.forEach(e -> m.add(e.getKey(), e.getValue().toString()));
    return m;
  }

  static JsonObject everySpelling() {
    JsonObject h = new JsonObject().put("x-trace", "t1");
    SPELLINGS.forEach(s -> h.put(s, "mallory-" + s));
    return h.put("event", "alert");
  }

  @Test
  @DisplayName("own: every spelling the client sent goes, the server's value is the only one; other headers stay")
  void own() {
    for (String value : new String[] {"ann", null}) {
      JsonObject h = Headers.own(everySpelling(), "pulse-sub", value);
      MultiMap bus = asTheBridgeDoes(h);
      assertEquals(value == null ? List.of() : List.of(value), bus.getAll("pulse-sub"));
      for (String s : SPELLINGS) {
        assertEquals(value == null ? List.of() : List.of(value), bus.getAll(s), s);
      }
      assertEquals("t1", bus.get("X-Trace"));
      assertEquals("alert", bus.get("event"));
    }
    // one spelling alone, as a page would send it
    for (String s : SPELLINGS) {
      JsonObject h = Headers.own(new JsonObject().put(s, "mallory"), "pulse-sub", "ann");
      assertEquals(List.of("ann"), asTheBridgeDoes(h).getAll("pulse-sub"), s);
      assertEquals(new JsonObject().put("pulse-sub", "ann"), h);
    }
  }

  @Test
  @DisplayName("values and remove: every spelling, in the object's order; a name that only looks alike is another header")
  void valuesAndRemove() {
    JsonObject h = everySpelling();
    assertEquals(List.of("mallory-pulse-sub", "mallory-Pulse-Sub", "mallory-PULSE-SUB", "mallory-pUlSe-SuB"),
        Headers.values(h, "Pulse-Sub"));
    assertEquals(List.of("alert"), Headers.values(h, "EVENT"));
    assertEquals(List.of(), Headers.values(h, "pulse-subject"));
    assertEquals(4, Headers.remove(h, "pulse-sub"));
    assertEquals(0, Headers.remove(h, "pulse-sub"));
    assertEquals(new JsonObject().put("x-trace", "t1").put("event", "alert"), h);
    assertEquals(0, Headers.remove(new JsonObject().put("pulse-sub2", "x").put("x-pulse-sub", "y"), "pulse-sub"));
  }

  @Test
  @DisplayName("sameName agrees with the event bus's headers for every ASCII case of the name")
  void sameNameMatchesTheBus() {
    String name = "pulse-sub";
    for (int mask = 0; mask < 1 << name.length(); mask++) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        b.append((mask & 1 << i) != 0 ? Character.toUpperCase(c) : c);
      }
      String spelling = b.toString();
      assertTrue(Headers.sameName(spelling, name), spelling);
      assertEquals("v", asTheBridgeDoes(new JsonObject().put(spelling, "v")).get(name), spelling);
    }
  }

  @Test
  @DisplayName("problem: null for what the bus takes (strings, numbers, arrays); named for a null value or a bad name or value")
  void problem() {
    assertNull(Headers.problem(new JsonObject()));
    assertNull(Headers.problem(new JsonObject().put("x", "a").put("n", 5).put("a", new JsonArray().add(1))
        .put("o", new JsonObject().put("k", 1)).put("u", "ünï")));
    for (JsonObject bad : List.of(new JsonObject().putNull("x"), new JsonObject().put("bad name", "x"),
        new JsonObject().put("a:b", "x"), new JsonObject().put("x", "a\nb"), new JsonObject().put("pulſe-sub", "x"))) {
      String why = Headers.problem(bad);
      assertNotNull(why, bad.encode());
      assertTrue(why.startsWith("header '" + bad.fieldNames().iterator().next() + "'"), why);
    }
  }
}
