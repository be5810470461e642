package io.pulse.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.pulse.config.PulseConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HazelcastConfigsTest {

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
