package io.pulse.messages;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The headers of a message as a page sends them on the event-bus bridge: a JSON object of
 * name → value that vertx-web turns into the message's {@link MultiMap}, where names ignore case.
 * {@code {"pulse-sub":"a","Pulse-Sub":"b"}} is two JSON keys but one event-bus header with two
 * values, so Pulse reads and replaces a header under every spelling at once, never by its exact key.
 *
 * <p>Names are compared with {@link String#equalsIgnoreCase}, which matches every spelling the
 * event bus treats as one name (ASCII case) and a few more (non-ASCII look-alikes that the bridge
 * would refuse anyway, see {@link #problem}). Stateless.
 */
public final class Headers {

  private Headers() {
  }

  /** True when {@code a} and {@code b} name the same header. */
  public static boolean sameName(String a, String b) {
    return a.equalsIgnoreCase(b);
  }

  /** The values of {@code name} under any spelling, in the order of the object's keys. */
  public static List<Object> values(JsonObject headers, String name) {
    List<Object> out = new ArrayList<>(1);
    for (Map.Entry<String, Object> e : headers) {
      if (sameName(e.getKey(), name)) {
        out.add(e.getValue());
      }
    }
    return out;
  }

  /** Removes {@code name} under every spelling; returns how many keys went. */
  public static int remove(JsonObject headers, String name) {
    int removed = 0;
    for (Iterator<Map.Entry<String, Object>> it = headers.iterator(); it.hasNext(); ) {
      if (sameName(it.next().getKey(), name)) {
        it.remove();
        removed++;
      }
    }
    return removed;
  }

  /**
   * Sets a header the server owns: every spelling the client sent is removed, then {@code value}
   * is the only one ({@code null}: the header is absent). Returns {@code headers}.
   */
  public static JsonObject own(JsonObject headers, String name, String value) {
    remove(headers, name);
    if (value != null) {
      headers.put(name, value);
    }
    return headers;
  }

  /**
   * Null when the event bus takes every header as it is; otherwise why not, for the client. The
   * bridge adds each value's {@code toString()} to a validating {@link HttpHeaders#headers()}: a
   * null value, or a name or value that map refuses (a space or a colon in a name, a line break
   * in a value), would fail there and the message would be lost without an answer.
   */
  public static String problem(JsonObject headers) {
    MultiMap check = HttpHeaders.headers();
    for (Map.Entry<String, Object> e : headers) {
      if (e.getValue() == null) {
        return "header '" + abbreviate(e.getKey()) + "' has no value";
      }
      try {
        check.add(e.getKey(), e.getValue().toString());
      } catch (IllegalArgumentException ex) {
        return "header '" + abbreviate(e.getKey()) + "' is not a valid header name and value";
      }
    }
    return null;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
