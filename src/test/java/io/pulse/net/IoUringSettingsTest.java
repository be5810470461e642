package io.pulse.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.uring.IoUring;
import io.pulse.node.PulseNode;
import java.lang.reflect.Field;
import org.junit.jupiter.api.Test;

/**
 * Netty reads its io_uring settings once, when its {@code IoUring} class loads: these tests
 * check that the values Pulse chose are the ones Netty runs with, i.e. that they are set before
 * anything touches io_uring, and that an operator's own {@code -D} value wins.
 */
class IoUringSettingsTest {

  @Test
  void nettyRunsWithPulsesIoUringSettings() throws Exception {
    PulseNode.transport("auto");
    assumeTrue(IoUring.isAvailable(), "io_uring is not available on this kernel");
    assertEquals(IoUringSettings.IOV_MAX, nettyValue("NUM_ELEMENTS_IOVEC"),
        "shared iovec array exactly IOV_MAX long, so it is emptied before it refuses buffers");
    assertEquals(IoUringSettings.CQ_ENTRIES, nettyValue("DEFAULT_CQ_SIZE"), "completion ring size");
  }

  @Test
  void anOperatorsValueIsKept() {
    String key = IoUringSettings.CQ_SIZE;
    String before = System.getProperty(key);
    try {
      System.setProperty(key, "8192");
      IoUringSettings.apply();
      assertEquals("8192", System.getProperty(key));
      System.clearProperty(key);
      IoUringSettings.apply();
      assertEquals(Integer.toString(IoUringSettings.CQ_ENTRIES), System.getProperty(key));
    } finally {
      if (before == null) {
        System.clearProperty(key);
      } else {
        System.setProperty(key, before);
      }
    }
  }

  private static int nettyValue(String name) throws Exception {
    Field f = IoUring.class.getDeclaredField(name);
    f.setAccessible(true);
    return f.getInt(null);
  }
}
