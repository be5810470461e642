package io.pulse.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The node's heap free ratios and periodic GC: set where the JVM has its defaults, and a command-line value wins. */
class HeapDefaultsTest {

  private static final HotSpotDiagnosticMXBean HOTSPOT = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);

  @Test
  void setsBothRatiosOnceAndLeavesAnExplicitValueAlone() {
    String min = HOTSPOT.getVMOption("MinHeapFreeRatio").getValue();
    String max = HOTSPOT.getVMOption("MaxHeapFreeRatio").getValue();
    String periodic = HOTSPOT.getVMOption("G1PeriodicGCInterval").getValue();
    try {
      // This test JVM starts with the JVM's defaults (the pom passes neither flag).
      assertEquals(Map.of("MinHeapFreeRatio", "10", "MaxHeapFreeRatio", "20", "G1PeriodicGCInterval", "10000"),
          HeapDefaults.apply());
      assertEquals("10000", HOTSPOT.getVMOption("G1PeriodicGCInterval").getValue());
      assertEquals("10", HOTSPOT.getVMOption("MinHeapFreeRatio").getValue());
      assertEquals("20", HOTSPOT.getVMOption("MaxHeapFreeRatio").getValue());
      assertEquals(Map.of(), HeapDefaults.apply(), "no longer at the defaults: nothing more to set");
    } finally {
      HOTSPOT.setVMOption("G1PeriodicGCInterval", periodic);
      HOTSPOT.setVMOption("MaxHeapFreeRatio", max);
      HOTSPOT.setVMOption("MinHeapFreeRatio", min);
    }
  }
}
