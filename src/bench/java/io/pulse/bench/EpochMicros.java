package io.pulse.bench;

import java.time.Instant;

/**
 * Wall-clock time in microseconds since the epoch. The publisher stamps each message with it and
 * the clients subtract it on receipt; both run in the bench JVM, so they read the same clock.
 */
final class EpochMicros {

  private EpochMicros() {
  }

  static long now() {
    Instant t = Instant.now();
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
  }
}
