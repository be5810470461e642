package io.pulse.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.spi.merge.PutIfAbsentMergePolicy;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import io.pulse.config.PulseConfig;
import io.pulse.history.History;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The join and split-brain settings Pulse puts on every member config (docs: partitions.md, deploying.md). */
class HazelcastConfigsTest {

  static final String PUT_IF_ABSENT = PutIfAbsentMergePolicy.class.getName();

  @Test
  @DisplayName("cluster.quorum puts the history's ring buffers and registry under split-brain protection;"
      + " every Pulse structure merges with PutIfAbsent")
  void quorumAndMergePolicies() {
    Config c = HazelcastConfigs.build(PulseConfig.of(new JsonObject().put("cluster.quorum", 2)), false);
    var protection = c.getSplitBrainProtectionConfig(History.QUORUM);
    assertTrue(protection.isEnabled());
    assertEquals(2, protection.getMinimumClusterSize());
    assertEquals(SplitBrainProtectionOn.READ_WRITE, protection.getProtectOn());
    var rings = c.getRingbufferConfig(History.NAME_PREFIX + "chat.lobby");
    assertEquals(History.QUORUM, rings.getSplitBrainProtectionName());
    assertEquals(PUT_IF_ABSENT, rings.getMergePolicyConfig().getPolicy());
    var registry = c.getMapConfig(History.CHANNELS);
    assertEquals(History.QUORUM, registry.getSplitBrainProtectionName());
    assertEquals(PUT_IF_ABSENT, registry.getMergePolicyConfig().getPolicy());
    for (String map : new String[] {"pulse.presence", "pulse.auth"}) {
      assertEquals(PUT_IF_ABSENT, c.getMapConfig(map).getMergePolicyConfig().getPolicy(), map);
    }
    assertEquals(PUT_IF_ABSENT, c.getReplicatedMapConfig("pulse.revoked").getMergePolicyConfig().getPolicy());
  }

  @Test
  @DisplayName("without cluster.quorum (default 0) the history has no split-brain protection")
  void noQuorumByDefault() {
    Config c = HazelcastConfigs.build(PulseConfig.defaults(), false);
    assertTrue(c.getSplitBrainProtectionConfigs().isEmpty());
    assertNull(c.getRingbufferConfig(History.NAME_PREFIX + "x").getSplitBrainProtectionName());
  }

  @Test
  @DisplayName("the shipped cluster.xml names the same merge policies, so a copy of it keeps them")
  void shippedFileSaysTheSame() throws Exception {
    String xml = Files.readString(Path.of("cluster.xml"));
    for (String name : new String[] {"pulse.history.*", "pulse.history-channels", "pulse.presence", "pulse.auth",
        "pulse.revoked"}) {
      int at = xml.indexOf("name=\"" + name + "\"");
      assertTrue(at > 0, name);
      int end = xml.indexOf("</", xml.indexOf("<merge-policy", at));
      assertTrue(xml.substring(at, end).contains(PUT_IF_ABSENT), name + " has its merge policy in cluster.xml");
    }
    Config fromFile = new com.hazelcast.config.FileSystemXmlConfig("cluster.xml");
    assertEquals(PUT_IF_ABSENT, fromFile.getMapConfig("pulse.presence").getMergePolicyConfig().getPolicy());
  }

  @TempDir
  Path dir;

  @Test
  void theShippedFileJoinsOverTcpIpWithClusterMembers() {
    Config c = HazelcastConfigs.build(PulseConfig.of(new JsonObject().put("cluster.members", List.of("127.0.0.1:5709"))), false);
    JoinConfig join = c.getNetworkConfig().getJoin();
    assertTrue(join.getTcpIpConfig().isEnabled());
    assertEquals(List.of("127.0.0.1:5709"), join.getTcpIpConfig().getMembers());
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.getAutoDetectionConfig().isEnabled());
    assertEquals("false", c.getProperty("hazelcast.phone.home.enabled"));
    join.verify();
  }

  @Test
  @DisplayName("members without a port are named (warned about) only when cluster.host is not loopback")
  void portlessMembers() {
    assertEquals(List.of(), HazelcastConfigs.withoutPort("127.0.0.1", List.of("127.0.0.1", "127.0.0.2")));
    assertEquals(List.of("10.0.0.12", "node-c", "fe80::1"), HazelcastConfigs.withoutPort("10.0.0.11",
        List.of("10.0.0.11:5701", "10.0.0.12", "node-c", "node-d:5701", "[fe80::2]:5701", "fe80::1")));
  }

  /** Hazelcast refuses two join methods: a file that enables Kubernetes discovery keeps it alone. */
  @Test
  void aFileWithKubernetesDiscoveryKeepsItsJoin() throws Exception {
    Path file = dir.resolve("cluster.xml");
    Files.writeString(file, """
        <hazelcast xmlns="http://www.hazelcast.com/schema/config">
          <properties><property name="hazelcast.phone.home.enabled">false</property></properties>
          <network>
            <join>
              <auto-detection enabled="false"/>
              <multicast enabled="false"/>
              <tcp-ip enabled="false"/>
              <kubernetes enabled="true">
                <service-dns>pulse-hz.default.svc.cluster.local</service-dns>
              </kubernetes>
            </join>
          </network>
        </hazelcast>
        """);
    Config c = HazelcastConfigs.build(PulseConfig.of(new JsonObject().put("cluster.config", file.toString())), false);
    JoinConfig join = c.getNetworkConfig().getJoin();
    assertTrue(join.getKubernetesConfig().isEnabled());
    assertFalse(join.getTcpIpConfig().isEnabled(), "TCP/IP stays off beside Kubernetes discovery");
    assertFalse(join.getMulticastConfig().isEnabled());
    assertEquals("false", c.getProperty("hazelcast.phone.home.enabled"));
    join.verify(); // throws InvalidConfigurationException with two join methods
  }
}
