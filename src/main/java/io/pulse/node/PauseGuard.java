package io.pulse.node;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices that this process was frozen (SIGSTOP, a suspended VM, a very long stop-the-world
 * pause) for longer than the cluster's heartbeat timeout, and finds out whether the cluster has
 * dropped the node meanwhile.
 *
 * <p>A node frozen that long has been removed by the other members: its presence entries are
 * gone, its rooms got a {@code leave}, its clients' channels were taken over. When it wakes up it
 * forms a cluster of its own, and Hazelcast's split-brain merge may or may not bring it back, with
 * its event-bus registrations in an unknown state (eclipse-vertx/vert.x#4394). Rather than serve
 * clients from a cluster of one, the node leaves: {@code onExpelled} runs once, and {@code Main}
 * shuts the node down gracefully (WebSocket 1001, SSE streams ended, so clients move to the other
 * nodes with their positions) and exits with code 3 for a supervisor to restart it.
 *
 * <p>A pause alone is not enough: if every member of the view before the pause is still there
 * {@link #WATCH_TICKS} ticks later (a single node, or the whole cluster frozen together), the
 * node carries on.
 *
 * <p>{@link #tick} holds the logic and is driven by a clock in unit tests; {@link #start} drives it
 * from a daemon thread every {@link #TICK_MS}.
 */
public final class PauseGuard {

  private static final Logger LOG = LoggerFactory.getLogger(PauseGuard.class);

  /** How often the clock is read. */
  public static final long TICK_MS = 500;

  /** Ticks after a pause during which a departed member means this node was dropped. */
  public static final int WATCH_TICKS = 30;

  private final long thresholdMs;
  private final Supplier<Set<String>> members;
  private final Runnable onExpelled;
  private long lastTick = -1;
  private Set<String> lastView = Set.of();
  private Set<String> beforePause;
  private int watching;
  private boolean expelled;

  /**
   * @param thresholdMs a freeze at least this long is a pause (the cluster's heartbeat timeout)
   * @param members     the member ids this node currently sees, itself included
   * @param onExpelled  what to do, once, when the cluster dropped this node during a pause
   */
  public PauseGuard(long thresholdMs, Supplier<Set<String>> members, Runnable onExpelled) {
    this.thresholdMs = thresholdMs;
    this.members = members;
    this.onExpelled = onExpelled;
  }

  /** Starts ticking on a daemon thread; the returned executor stops it. */
  public ScheduledExecutorService start() {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "pulse-pause-guard");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(() -> {
      try {
        // Monotonic time keeps running while a process is stopped; a suspended VM may stop it,
        // the wall clock then jumps instead. Either one shows the pause.
        tick(Math.max(System.nanoTime() / 1_000_000, System.currentTimeMillis()));
      } catch (RuntimeException e) {
        LOG.warn("pause check failed: {}", e.toString());
      }
    }, 0, TICK_MS, TimeUnit.MILLISECONDS);
    return timer;
  }

  /**
   * One look at the clock. Not a real clock in tests: {@code nowMs} only needs to be monotonic
   * between calls except across the pauses it is meant to notice.
   */
  void tick(long nowMs) {
    if (expelled) {
      return;
    }
    Set<String> view = new HashSet<>(members.get());
    if (lastTick >= 0 && nowMs - lastTick >= thresholdMs) {
      beforePause = lastView;
      watching = WATCH_TICKS;
      LOG.warn("this process was frozen for {} ms (the cluster drops a member after {} ms without heartbeats);"
          + " checking whether the other members dropped this node", nowMs - lastTick, thresholdMs);
    }
    lastTick = nowMs;
    lastView = view;
    if (watching == 0) {
      return;
    }
    watching--;
    Set<String> gone = new HashSet<>(beforePause);
    gone.removeAll(view);
    if (!gone.isEmpty()) {
      expelled = true;
      LOG.error("the cluster dropped this node while it was frozen ({} of the {} member(s) seen before are gone"
          + " from its view); leaving, to be restarted and join afresh", gone.size(), beforePause.size());
      onExpelled.run();
    } else if (watching == 0) {
      LOG.info("membership unchanged after the freeze; carrying on");
    }
  }
}
