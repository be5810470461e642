package io.pulse.node;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.spi.merge.PutIfAbsentMergePolicy;
import io.pulse.auth.Revocations;
import io.pulse.chat.Presence;
import io.pulse.cluster.Membership;
import io.pulse.config.ConfigException;
import io.pulse.config.PulseConfig;
import io.pulse.history.HistoryConfig;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the Hazelcast member configuration of a node: {@code cluster.xml} (the file named by
 * {@code cluster.config}, else {@code ./cluster.xml}, else the copy in the jar), then Pulse's
 * overrides. Whatever the file says, the result never uses multicast, auto-detection or
 * Hazelcast's phone-home. The join is TCP/IP with {@code cluster.members}, unless the file enables
 * a discovery method of its own (Kubernetes, a cloud, a discovery strategy): Hazelcast allows one
 * join method at a time, so then the file's join is left as it is.
 */
public final class HazelcastConfigs {

  private static final Logger LOG = LoggerFactory.getLogger(HazelcastConfigs.class);
  private static final Pattern IP = Pattern.compile("[0-9.]+|[0-9a-fA-F:]+");
  /** {@code host:port} or {@code [v6]:port}; a bare IPv6 address has no port. */
  private static final Pattern WITH_PORT = Pattern.compile("(\\[[^]]*]|[^:\\[\\]]+):[0-9]+");

  private HazelcastConfigs() {
  }

  /**
   * {@code simulatorCandidate}: mark this member as one that may run the singleton simulator
   * (only Pulse nodes with {@code sensors.enabled} in {@code singleton} mode).
   */
  public static Config build(PulseConfig cfg, boolean simulatorCandidate) {
    Config c = load(cfg.clusterConfig());
    c.setClusterName(cfg.clusterName());
    c.setProperty("hazelcast.phone.home.enabled", "false");
    if (c.getProperty("hazelcast.logging.type") == null) {
      c.setProperty("hazelcast.logging.type", "slf4j");
    }
    NetworkConfig net = c.getNetworkConfig();
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (!usesDiscovery(join)) {
      join.getTcpIpConfig().setEnabled(true).setMembers(cfg.clusterMembers());
      List<String> portless = withoutPort(cfg.clusterHost(), cfg.clusterMembers());
      if (!portless.isEmpty()) {
        LOG.warn("cluster.members {} without a port: Hazelcast tries each on {} ports, and after a network partition"
            + " its search for the other side waits up to 5 s on each closed one, so the heal takes minutes;"
            + " list them as host:5701 (deploying.md, 'Several hosts')", portless,
            c.getProperty("hazelcast.tcp.join.port.try.count") == null ? 3 : c.getProperty("hazelcast.tcp.join.port.try.count"));
      }
    }
    String host = cfg.clusterHost();
    if (IP.matcher(host).matches()) {
      net.getInterfaces().setEnabled(true).setInterfaces(List.of(host));
    }
    c.setProperty("hazelcast.local.localAddress", host);
    HistoryConfig.configure(c, cfg.historySize(), cfg.historyTtlSeconds(), cfg.clusterQuorum());
    mergePolicies(c);
    if (simulatorCandidate) {
      c.getMemberAttributeConfig().setAttribute(Membership.SENSORS_ATTRIBUTE, "singleton");
    }
    return c;
  }

  /**
   * The members listed without a port, when this node's {@code cluster.host} is not a loopback
   * address (on loopback, port-less members are how several nodes on one machine find each other).
   */
  static List<String> withoutPort(String clusterHost, List<String> members) {
    if (clusterHost.startsWith("127.") || clusterHost.equals("::1") || clusterHost.equalsIgnoreCase("localhost")) {
      return List.of();
    }
    return members.stream().filter(m -> !WITH_PORT.matcher(m.trim()).matches()).toList();
  }

  /** True when the join finds members by a discovery method rather than a list of addresses. */
  static boolean usesDiscovery(JoinConfig join) {
    return join.getKubernetesConfig().isEnabled() || join.getAwsConfig().isEnabled()
        || join.getGcpConfig().isEnabled() || join.getAzureConfig().isEnabled()
        || join.getEurekaConfig().isEnabled()
        || !join.getDiscoveryConfig().getDiscoveryStrategyConfigs().isEmpty();
  }

  /**
   * The split-brain merge policy of Pulse's other maps, whatever the file says (the history's are
   * set by {@link HistoryConfig#configure}). Each map is written so that after a heal the larger side's
   * copy is right and the smaller side's is at best stale (docs: partitions.md):
   * <ul>
   * <li>{@code pulse.presence}: entries keyed by node id, each written only by its node.
   * {@code PutIfAbsentMergePolicy}: the larger side deleted the smaller side's nodes' entries when
   * it lost them, so those come back from the smaller side's copy, and nothing the larger side holds
   * is overwritten; a node that merged back also rewrites its own entries.</li>
   * <li>{@code pulse.auth} (the dev-mode signing secret) and the replicated map {@code pulse.revoked}:
   * the larger side keeps its value, the smaller side adds what the larger one lacks
   * ({@code PutIfAbsentMergePolicy}): a revocation made on either side survives.</li>
   * </ul>
   */
  static void mergePolicies(Config c) {
    String putIfAbsent = PutIfAbsentMergePolicy.class.getName();
    for (String map : List.of(Presence.MAP, "pulse.auth")) {
      c.getMapConfig(map).getMergePolicyConfig().setPolicy(putIfAbsent);
    }
    c.getReplicatedMapConfig(Revocations.MAP).getMergePolicyConfig().setPolicy(putIfAbsent);
  }

  private static Config load(String explicit) {
    try {
      if (!explicit.isBlank()) {
        return new FileSystemXmlConfig(explicit);
      }
      if (Files.isRegularFile(Path.of("cluster.xml"))) {
        return new FileSystemXmlConfig("cluster.xml");
      }
      return new ClasspathXmlConfig("cluster.xml");
    } catch (FileNotFoundException e) {
      throw new ConfigException("config key 'cluster.config': file not found: " + explicit);
    } catch (RuntimeException e) {
      throw new ConfigException("cluster configuration is invalid: " + e.getMessage());
    }
  }
}
