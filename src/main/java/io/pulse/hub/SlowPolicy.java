package io.pulse.hub;

import java.util.Arrays;
import java.util.Locale;

/**
 * What happens to a live message for a client whose socket queue is full (it does not read fast
 * enough): {@code limits.slowConsumer}, {@code limits.slowConsumerChannels}, or a subscription's
 * own {@code policy}.
 */
public enum SlowPolicy {
  /** Close the connection (WebSocket 4001, SSE stream ended); the client resumes from its last id. */
  DISCONNECT,
  /** Drop the message and count it; the connection stays. */
  DROP,
  /**
   * Keep only the latest message per channel, replaced in place, and write it when the socket
   * drains, marked with the number of messages skipped ({@code "conflated": n}).
   */
  CONFLATE;

  /** The name in config and on the wire: {@code disconnect}, {@code drop}, {@code conflate}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The policy named {@code s}, or null when there is none of that name. */
  public static SlowPolicy of(String s) {
    for (SlowPolicy p : values()) {
      if (p.wire().equals(s)) {
        return p;
      }
    }
    return null;
  }

  /** {@code disconnect, drop, conflate}, for messages. */
  public static String names() {
    return String.join(", ", Arrays.stream(values()).map(SlowPolicy::wire).toList());
  }
}
