package io.pulse.node;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent.LifecycleState;
import io.pulse.cluster.Membership;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices when a running node is out of the cluster for good: the cluster dropped it while the
 * process was frozen ({@link PauseGuard}), or its Hazelcast member stopped under it.
 */
final class MemberWatch {

  /** PulseNode's logger: the node's lifecycle lines keep one logger name. */
  private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class);

  private final HazelcastInstance hz;
  private final Membership membership;
  private final BooleanSupplier closing;

  /** {@code closing}: true once the node is leaving on purpose (then a stopping member is expected). */
  MemberWatch(HazelcastInstance hz, Membership membership, BooleanSupplier closing) {
    this.hz = hz;
    this.membership = membership;
    this.closing = closing;
  }

  /** See {@link PulseNode#pauseGuard}. */
  PauseGuard pauseGuard(Runnable onExpelled) {
    String configured = hz.getConfig().getProperty("hazelcast.max.no.heartbeat.seconds");
    long seconds = configured == null ? 60 : Long.parseLong(configured.trim());
    return new PauseGuard(seconds * 1000, membership::memberIds, onExpelled);
  }

  /** See {@link PulseNode#onMemberLost}. */
  void onMemberLost(Runnable onLost) {
    AtomicBoolean fired = new AtomicBoolean();
    hz.getLifecycleService().addLifecycleListener(event -> {
      LifecycleState state = event.getState();
      boolean stopping = state == LifecycleState.SHUTTING_DOWN || state == LifecycleState.SHUTDOWN;
      if (stopping && !closing.getAsBoolean() && fired.compareAndSet(false, true)) {
        LOG.error("this node's Hazelcast member stopped ({}) while the node was running; leaving, to be restarted",
            state);
        new Thread(onLost, "pulse-member-lost").start();
      }
    });
  }
}
