package io.pulse.hub;

import io.pulse.messages.Delivery;
import java.util.ArrayList;
import java.util.List;

/**
 * The part the hub tests' fake sockets share: a session that records what it dropped and whether
 * it was closed as a slow consumer. Each test's socket adds how it writes and fills up.
 */
abstract class RecordingSession extends Session {
  final List<String> drops = new ArrayList<>();
  boolean closedSlow;

  RecordingSession(long maxQueuedBytes, SlowPolicy defaultPolicy) {
    super(maxQueuedBytes, defaultPolicy);
  }

  /** How a drop is recorded: its reason ({@code "slow_consumer"}); a test may add the seq. */
  String dropEntry(Delivery d, String reason) {
    return reason;
  }

  @Override
  protected void closeSlow() {
    closedSlow = true;
  }

  @Override
  protected Listener listener() {
    return new Listener() {
      @Override
      public void delivered(Delivery d) {
      }

      @Override
      public void dropped(Delivery d, String reason) {
        drops.add(dropEntry(d, reason));
      }

      @Override
      public void conflated(Delivery newer) {
        RecordingSession.this.conflated(newer);
      }

      @Override
      public void conflationHeld(int channels, long bytes) {
        RecordingSession.this.conflationHeld(channels, bytes);
      }
    };
  }

  /** Conflation's accounting, for the tests that count it. */
  void conflated(Delivery newer) {
  }

  void conflationHeld(int channels, long bytes) {
  }
}
