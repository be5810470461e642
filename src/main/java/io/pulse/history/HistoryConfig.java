package io.pulse.history;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.RingbufferConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.spi.merge.PutIfAbsentMergePolicy;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;

/**
 * The history's part of a Hazelcast member config: its ring buffers ({@link History#NAME_PREFIX}),
 * its registry ({@link History#CHANNELS}) and, with {@code cluster.quorum}, their split-brain
 * protection ({@link History#QUORUM}).
 */
public final class HistoryConfig {

  private HistoryConfig() {
  }

  /**
   * Adds the replay-window settings to a member config (before the member starts).
   *
   * <p>{@code quorum} ({@code cluster.quorum}): with 2 or more, the ring buffers and the registry
   * are read and written only while this member's side of the cluster has at least that many
   * members. On the smaller side of a split every history call then fails with a
   * {@link SplitBrainProtectionException} ({@link History#noQuorum}), instead of handing out ids
   * that the other side hands out too; that side's live messages go out with detached ids
   * ({@link DetachedIds}).
   *
   * <p>Merge policy {@code PutIfAbsentMergePolicy} for both: after a heal the larger side's copy of
   * a channel wins and the smaller side's copy only fills in what the larger side lacks. With the
   * quorum set, the smaller side cannot have written anything, so its copy is an older or equal
   * state of the same window; the larger side's is the one to keep (docs: partitions.md).
   */
  public static void configure(Config config, int size, int ttlSeconds, int quorum) {
    String policy = PutIfAbsentMergePolicy.class.getName();
    RingbufferConfig rings = new RingbufferConfig(History.NAME_PREFIX + "*")
        .setCapacity(size)
        .setTimeToLiveSeconds(ttlSeconds)
        .setBackupCount(1)
        .setAsyncBackupCount(0)
        .setMergePolicyConfig(new MergePolicyConfig(policy, MergePolicyConfig.DEFAULT_BATCH_SIZE));
    MapConfig registry = new MapConfig(History.CHANNELS)
        .setBackupCount(1)
        .setAsyncBackupCount(0)
        .setMergePolicyConfig(new MergePolicyConfig(policy, MergePolicyConfig.DEFAULT_BATCH_SIZE));
    if (quorum > 1) {
      config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(History.QUORUM, true, quorum)
          .setProtectOn(SplitBrainProtectionOn.READ_WRITE));
      rings.setSplitBrainProtectionName(History.QUORUM);
      registry.setSplitBrainProtectionName(History.QUORUM);
    }
    config.addRingBufferConfig(rings);
    config.addMapConfig(registry);
  }
}
