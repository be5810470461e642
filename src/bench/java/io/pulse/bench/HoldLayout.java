package io.pulse.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * How {@code cluster-hold} spreads its connections: a share of them SSE streams, the rest
 * WebSockets, split over the client processes in contiguous runs, and each connection on node
 * {@code (offset + i) % nodes}, so that every node gets the same number of each transport (to
 * within one) whatever the split. Each process also gets its own loopback source address.
 */
final class HoldLayout {

  /**
   * One client process's part: {@code ws} WebSockets whose i-th goes to node
   * {@code (wsOffset + i) % nodes}, likewise {@code sse} streams, all from {@code sourceAddress}.
   */
  record Part(int ws, int sse, int wsOffset, int sseOffset, String sourceAddress) {

    int connections() {
      return ws + sse;
    }
  }

  private HoldLayout() {
  }

  /** SSE streams among {@code total} connections at {@code ssePercent} per cent (rounded down). */
  static int sseOf(int total, int ssePercent) {
    return (int) ((long) total * ssePercent / 100);
  }

  /** The parts of {@code processes} client processes for {@code total} connections. */
  static List<Part> split(int total, int ssePercent, int processes) {
    int sse = sseOf(total, ssePercent);
    int ws = total - sse;
    List<Part> parts = new ArrayList<>();
    int wsAt = 0;
    int sseAt = 0;
    for (int k = 0; k < processes; k++) {
      int w = ws / processes + (k < ws % processes ? 1 : 0);
      int s = sse / processes + (k < sse % processes ? 1 : 0);
      // 127.0.0.2, .3, …: each process's ports come from an address of its own (SourceAddresses)
      parts.add(new Part(w, s, wsAt, sseAt, "127.0.0." + (k + 2)));
      wsAt += w;
      sseAt += s;
    }
    return parts;
  }

  /** The node of the {@code i}-th connection of a run that starts at {@code offset}. */
  static int nodeOf(int offset, int i, int nodes) {
    return (int) (((long) offset + i) % nodes);
  }

  /** Connections per node, {ws, sse} for each node, as {@link #split} and {@link #nodeOf} place them. */
  static int[][] perNode(List<Part> parts, int nodes) {
    int[][] counts = new int[nodes][2];
    for (Part p : parts) {
      for (int i = 0; i < p.ws(); i++) {
        counts[nodeOf(p.wsOffset(), i, nodes)][0]++;
      }
      for (int i = 0; i < p.sse(); i++) {
        counts[nodeOf(p.sseOffset(), i, nodes)][1]++;
      }
    }
    return counts;
  }

  /**
   * The chat name of the {@code i}-th WebSocket of process {@code process} if it joins the
   * presence room, else null: the first {@code perNode} connections it has on each node join, named
   * {@code <node name>/p<process>/<i>} so that a node's members can be told apart.
   */
  static String memberName(int process, int i, int perNode, int nodes, String nodeName) {
    return i < perNode * nodes ? nodeName + "/p" + process + "/" + i : null;
  }
}
