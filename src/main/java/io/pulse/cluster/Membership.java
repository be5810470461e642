package io.pulse.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;

/**
 * Cluster membership as Pulse needs it: member ids (the Vert.x node ids), their age order, their
 * attributes, and a callback when members come and go. Reads are local (no network); the callback
 * runs on a Hazelcast thread, so callers hop to their own context.
 *
 * <p>A member's id is its Vert.x node id (the member attribute {@link #NODE_ID_ATTRIBUTE}), not its
 * Hazelcast member UUID: Hazelcast gives a member a new UUID when it merges back after a split
 * brain, and everything keyed by node id (presence entries, the cluster view) must keep working
 * across that (docs: partitions.md).
 */
public final class Membership {

  /** Member attribute set on nodes that may run the singleton simulator. */
  public static final String SENSORS_ATTRIBUTE = "pulse.sensors";

  /**
   * The member attribute under which the Vert.x Hazelcast cluster manager stores its node id (a
   * private constant there, {@code HazelcastClusterManager.NODE_ID_ATTRIBUTE}).
   */
  public static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  private final HazelcastInstance hz;

  public Membership(HazelcastInstance hz) {
    this.hz = hz;
  }

  /** This node's id; stable for the life of the process, through split-brain merges. */
  public String localId() {
    return idOf(hz.getCluster().getLocalMember());
  }

  /** A member's node id: the Vert.x node id, else (a member Vert.x did not start) its UUID. */
  static String idOf(Member m) {
    String id = m.getAttribute(NODE_ID_ATTRIBUTE);
    return id != null ? id : m.getUuid().toString();
  }

  /** Member ids, oldest first; none once this member's Hazelcast has stopped. */
  public Set<String> memberIds() {
    Set<String> ids = new LinkedHashSet<>();
    if (!hz.getLifecycleService().isRunning()) {
      return ids;
    }
    for (Member m : hz.getCluster().getMembers()) {
      ids.add(idOf(m));
    }
    return ids;
  }

  /** The id of the oldest member whose attribute {@code name} is {@code value}, or null. */
  public String oldestWith(String name, String value) {
    if (!hz.getLifecycleService().isRunning()) {
      return null;
    }
    for (Member m : hz.getCluster().getMembers()) {
      if (value.equals(m.getAttribute(name))) {
        return idOf(m);
      }
    }
    return null;
  }

  /**
   * Calls {@code onChange} after every join or leave, and after this member merged back into the
   * cluster following a split brain (its view then changes without a membership event of its
   * own); returns the action that stops it.
   */
  public Runnable onChange(Runnable onChange) {
    Runnable stopMerged = onMerged(onChange);
    UUID reg = hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent e) {
        onChange.run();
      }

      @Override
      public void memberRemoved(MembershipEvent e) {
        onChange.run();
      }
    });
    return () -> {
      stopMerged.run();
      if (hz.getLifecycleService().isRunning()) {
        hz.getCluster().removeMembershipListener(reg);
      }
    };
  }

  /**
   * Calls {@code onMerged} each time this member has merged back into the larger side of a split
   * (Hazelcast's {@code MERGED}: this side was the smaller one, its data was handed to the other
   * side's merge policies and then dropped); returns the action that stops it.
   */
  public Runnable onMerged(Runnable onMerged) {
    UUID reg = hz.getLifecycleService().addLifecycleListener(e -> {
      if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
        onMerged.run();
      }
    });
    return () -> {
      if (hz.getLifecycleService().isRunning()) {
        hz.getLifecycleService().removeLifecycleListener(reg);
      }
    };
  }
}
