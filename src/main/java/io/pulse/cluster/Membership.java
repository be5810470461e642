package io.pulse.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;

/**
 * Cluster membership as Pulse needs it: member ids (the Vert.x node ids), their age order, their
 * attributes, and a callback when members come and go. Reads are local (no network); the callback
 * runs on a Hazelcast thread, so callers hop to their own context.
 */
public final class Membership {

  /** Member attribute set on nodes that may run the singleton simulator. */
  public static final String SENSORS_ATTRIBUTE = "pulse.sensors";

  private final HazelcastInstance hz;

  public Membership(HazelcastInstance hz) {
    this.hz = hz;
  }

  public String localId() {
    return hz.getCluster().getLocalMember().getUuid().toString();
  }

  /** Member ids, oldest first; none once this member's Hazelcast has stopped. */
  public Set<String> memberIds() {
    Set<String> ids = new LinkedHashSet<>();
    if (!hz.getLifecycleService().isRunning()) {
      return ids;
    }
    for (Member m : hz.getCluster().getMembers()) {
      ids.add(m.getUuid().toString());
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
        return m.getUuid().toString();
      }
    }
    return null;
  }

  /** Calls {@code onChange} after every join or leave; returns the action that stops it. */
  public Runnable onChange(Runnable onChange) {
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
      if (hz.getLifecycleService().isRunning()) {
        hz.getCluster().removeMembershipListener(reg);
      }
    };
  }
}
