package io.pulse.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.uring.IoUring;
import io.pulse.node.PulseNode;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Netty reads its io_uring settings once, when its {@code IoUring} class loads: these tests
 * check that the values Pulse chose are the ones Netty runs with, i.e. that they are set before
 * anything touches io_uring, and that an operator's own {@code -D} value wins.
 */
class IoUringSettingsTest {

  /**
   * In a JVM of its own: this one may have loaded Netty's {@code IoUring} already (any test that
   * started a Vert.x instance before this one), with whatever settings were current then.
   */
  @Test
  void nettyRunsWithPulsesIoUringSettings() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Probe.class.getName())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe ended");
    assertEquals(0, p.exitValue(), out);
    String last = out.substring(out.lastIndexOf('\n') + 1);
    assumeTrue(!last.equals("unavailable"), "io_uring is not available on this kernel");
    assertEquals(IoUringSettings.IOV_MAX + " " + IoUringSettings.CQ_ENTRIES, last,
        "Netty's NUM_ELEMENTS_IOVEC (exactly IOV_MAX, so the shared iovec array is emptied before it refuses"
            + " buffers) and DEFAULT_CQ_SIZE (the completion ring), after a node chose its transport");
  }

  /** Chooses the transport as a node does, then prints the values Netty's io_uring runs with. */
  public static final class Probe {
    public static void main(String[] args) throws Exception {
      PulseNode.transport("auto");
      System.out.println(IoUring.isAvailable() ? nettyValue("NUM_ELEMENTS_IOVEC") + " " + nettyValue("DEFAULT_CQ_SIZE")
          : "unavailable");
    }
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
