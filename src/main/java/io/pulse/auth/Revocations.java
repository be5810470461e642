package io.pulse.auth;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.replicatedmap.ReplicatedMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Revoked subjects, cluster-wide: subject → when (epoch ms), each kept {@code auth.revokeSeconds}.
 * A token of a revoked subject issued at or before that second is refused; the subject's newer
 * tokens work. A Hazelcast replicated map: every node reads its own copy, so checking a token
 * costs no network round trip.
 */
public final class Revocations {

  /** The replicated map's name. */
  public static final String MAP = "pulse.revoked";

  private final Map<String, Long> map;
  private final long keepSeconds;

  /** Blocking (proxy creation): call off the event loop. */
  public Revocations(HazelcastInstance hz, long keepSeconds) {
    this.map = hz.getReplicatedMap(MAP);
    this.keepSeconds = keepSeconds;
  }

  private Revocations(Map<String, Long> map, long keepSeconds) {
    this.map = map;
    this.keepSeconds = keepSeconds;
  }

  /** Revocations of this JVM alone, kept until it ends: for code that runs without a cluster (tests). */
  public static Revocations local() {
    return new Revocations(new ConcurrentHashMap<>(), 0);
  }

  /** Records that {@code subject}'s tokens issued up to {@code atMs} are revoked. */
  public void revoke(String subject, long atMs) {
    if (map instanceof ReplicatedMap<String, Long> replicated) {
      replicated.put(subject, atMs, keepSeconds, TimeUnit.SECONDS);
    } else {
      map.put(subject, atMs);
    }
  }

  /** True when a token of {@code subject} issued at {@code issuedAtMs} (0: unknown) is revoked. */
  public boolean covers(String subject, long issuedAtMs) {
    Long at = map.get(subject);
    return at != null && covers(issuedAtMs, at);
  }

  /**
   * Whether a revocation at {@code revokedAtMs} covers a token issued at {@code issuedAtMs}. Token
   * times have whole seconds, so a token from the revocation's own second counts as older; one
   * without {@code iat} too.
   */
  static boolean covers(long issuedAtMs, long revokedAtMs) {
    return issuedAtMs <= revokedAtMs / 1000 * 1000;
  }
}
