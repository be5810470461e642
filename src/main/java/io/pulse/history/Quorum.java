package io.pulse.history;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;

/**
 * The history's side of a split brain. With {@code cluster.quorum} ({@link HistoryConfig}), the
 * history exists only on a side that has that many members: on the other side appends fail, reads
 * answer "not recovered" at a detached position, and the publish path delivers live with detached
 * ids ({@link DetachedIds}; docs: partitions.md). Thread-safe.
 */
final class Quorum {

  private final HazelcastInstance hz;
  private final boolean configured;
  private final DetachedIds detached = new DetachedIds();

  Quorum(HazelcastInstance hz) {
    this.hz = hz;
    this.configured = hz.getConfig().getSplitBrainProtectionConfigs().containsKey(History.QUORUM);
  }

  /** True when {@code err} (or its cause) says this side of a split is below {@code cluster.quorum}. */
  static boolean missing(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SplitBrainProtectionException) {
        return true;
      }
    }
    return false;
  }

  /** False while this side is below the quorum; always true without one. A local check, no network. */
  boolean writable() {
    return !configured || hz.getSplitBrainProtectionService().getSplitBrainProtection(History.QUORUM).hasMinimumSize();
  }

  /** A fresh detached id, for a message (or a read's position) this side cannot take from the history. */
  long detachedId() {
    return detached.next();
  }
}
