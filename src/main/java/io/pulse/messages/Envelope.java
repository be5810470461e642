package io.pulse.messages;

import io.vertx.core.json.Json;

/**
 * The envelope every client receives (SPEC §2), built as text once per message:
 * {@code {"channel":…,"id":…,"type":…,"ts":…,"from":…,"data":…}}.
 *
 * <p>The history stores only the tail (from {@code "type"} on), because the id is the sequence
 * the history assigns; {@link #full} prepends channel and id without parsing anything. Channel
 * names need no escaping (SPEC §2 allows only {@code [A-Za-z0-9_.-]}).
 */
public final class Envelope {

  private Envelope() {
  }

  /** {@code "type":…,"ts":…,"from":…,"data":…}} — everything after the id. */
  public static String tail(String type, long ts, String from, Object data) {
    return "\"type\":" + Json.encode(type)
        + ",\"ts\":" + ts
        + ",\"from\":" + (from == null ? "null" : Json.encode(from))
        + ",\"data\":" + Json.encode(data) + "}";
  }

  /** The whole envelope: {@code channel} and {@code id} (the sequence) before the tail. */
  public static String full(String channel, long seq, String tail) {
    return "{\"channel\":\"" + channel + "\",\"id\":\"" + seq + "\"," + tail;
  }

  /**
   * The {@code reset} envelope a stream gets when it cannot be resumed (SPEC §7): its id is the
   * channel's current position, from which the stream continues.
   */
  public static String reset(String channel, long position, String reason) {
    return full(channel, position, tail("reset", System.currentTimeMillis(), null,
        new io.vertx.core.json.JsonObject().put("reason", reason)));
  }

  /**
   * {@code envelope} with {@code "conflated": skipped} added at its end: the number of messages
   * of the channel a slow client skipped before this one (the {@code conflate} policy).
   */
  public static String conflated(String envelope, int skipped) {
    return envelope.substring(0, envelope.lastIndexOf('}')) + ",\"conflated\":" + skipped + "}";
  }

  /** Reads {@code ts} back from a tail. */
  public static long tsOf(String tail) {
    int i = tail.indexOf(",\"ts\":") + 6;
    int j = i;
    while (j < tail.length() && Character.isDigit(tail.charAt(j))) {
      j++;
    }
    return j > i ? Long.parseLong(tail, i, j, 10) : 0L;
  }

  /** The envelope id for a sequence. Opaque to clients; here, the decimal sequence. */
  public static String id(long seq) {
    return Long.toString(seq);
  }

  /** Parses an id back to a sequence, or returns -2 when it is not one of ours. */
  public static long seqOf(String id) {
    if (id == null || id.isEmpty() || id.length() > 19) {
      return -2;
    }
    if (id.equals("-1")) {
      return -1; // "nothing seen yet" (the position of an empty channel)
    }
    for (int i = 0; i < id.length(); i++) {
      if (!Character.isDigit(id.charAt(i))) {
        return -2;
      }
    }
    return Long.parseLong(id);
  }
}
