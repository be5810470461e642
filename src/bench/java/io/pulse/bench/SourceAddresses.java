package io.pulse.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Loopback source addresses for the bench's clients. Every connection to one node address takes
 * a local port, and Linux hands out about 28,000 of them per source address (32768–60999 by
 * default), so more connections than that are spread over 127.0.0.1, 127.0.0.2, … (all on the
 * loopback interface, nothing leaves the machine).
 */
final class SourceAddresses {

  /** Connections per source address that the automatic choice aims at (below 28,232 ports). */
  static final int PER_ADDRESS = 25_000;
  /** At most this many (127.0.0.1 … 127.0.0.64). */
  static final int MAX = 64;

  private SourceAddresses() {
  }

  /**
   * The source addresses for {@code connections} connections: {@code requested} of them if given
   * (null = automatic: one per {@link #PER_ADDRESS} connections), but only towards loopback nodes.
   * An empty list means "let the kernel choose", which is what one address amounts to.
   */
  static List<String> forConnections(int connections, Integer requested, List<String> nodeHosts) {
    boolean loopback = nodeHosts.stream().allMatch(SourceAddresses::isLoopback);
    int count = requested != null ? requested : (connections + PER_ADDRESS - 1) / PER_ADDRESS;
    if (requested != null && requested > 1 && !loopback) {
      throw new IllegalArgumentException("--source-addresses needs loopback nodes (127.x.x.x), not " + nodeHosts);
    }
    if (!loopback || count <= 1) {
      return List.of();
    }
    List<String> addresses = new ArrayList<>();
    for (int i = 1; i <= Math.min(count, MAX); i++) {
      addresses.add("127.0.0." + i);
    }
    return addresses;
  }

  static boolean isLoopback(String host) {
    return host.startsWith("127.") || host.equals("localhost");
  }
}
