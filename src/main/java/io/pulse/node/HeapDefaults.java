package io.pulse.node;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heap-sizing flags a Pulse node changes from the JVM's defaults, at start, in its own JVM:
 * {@code MinHeapFreeRatio} 40 → 10, {@code MaxHeapFreeRatio} 70 → 20, and
 * {@code G1PeriodicGCInterval} 0 → 10,000 ms.
 *
 * <p>After a full collection (and at the end of a concurrent cycle) G1 resizes the committed heap
 * so that between these two percentages of it is free. With the JVM's 40–70 % a node holding
 * mostly idle connections keeps 1.67–3.33 times their live heap committed, and those pages stay
 * resident: an idle WebSocket of 3.7 kB heap showed as 12–15 kB of RSS. With 10–20 % it is
 * 1.11–1.25 times. Growth under load is not limited by them (G1 expands for its pause and GC-time
 * goals), only how much it gives back.
 *
 * <p>But G1 resizes only after a collection, and a node that holds idle connections allocates
 * next to nothing: without one, the heap it grew to while the connections opened stays committed,
 * and resident, for as long as the node is quiet (a user's monitoring saw 16 kB per idle
 * WebSocket where the bench, which forces a GC, saw 5–6). {@code G1PeriodicGCInterval} starts a
 * concurrent cycle after 10 s without any collection (JEP 346), which ends with that resize: it
 * costs an idle node one short concurrent cycle every 10 s, and a busy node nothing (it collects
 * anyway).
 *
 * <p>Both are <em>manageable</em> HotSpot flags, i.e. writable at run time through
 * {@link HotSpotDiagnosticMXBean}, so this is a default every {@code java -jar pulse.jar} gets
 * without flags on the command line (which a jar manifest cannot carry). A value given on the
 * command line ({@code -XX:MaxHeapFreeRatio=70}), or on a JVM without these flags, is left alone.
 */
public final class HeapDefaults {

  private static final Logger LOG = LoggerFactory.getLogger(HeapDefaults.class);
  /** In the order they must be set (Min ≤ Max holds after each step). */
  static final Map<String, String> VALUES = Map.of("MinHeapFreeRatio", "10", "MaxHeapFreeRatio", "20",
      "G1PeriodicGCInterval", "10000");
  private static final String[] ORDER = {"MinHeapFreeRatio", "MaxHeapFreeRatio", "G1PeriodicGCInterval"};

  private HeapDefaults() {
  }

  /** Sets each flag the command line left at the JVM's default; returns what it set. */
  public static Map<String, String> apply() {
    Map<String, String> set = new LinkedHashMap<>();
    try {
      HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      if (hotspot == null) {
        return set;
      }
      for (String name : ORDER) {
        VMOption now = hotspot.getVMOption(name);
        if (now.getOrigin() == VMOption.Origin.DEFAULT && now.isWriteable()) {
          hotspot.setVMOption(name, VALUES.get(name));
          set.put(name, VALUES.get(name));
        }
      }
    } catch (RuntimeException e) {
      LOG.debug("heap free ratios left at the JVM's: {}", e.toString());
    }
    if (!set.isEmpty()) {
      LOG.info("heap: {} (Pulse's defaults; -XX:<flag>=<value> on the command line wins)", set);
    }
    return set;
  }
}
