package io.pulse.chat;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * This node's part of every room: name → number of connections. Tells whether a join is a
 * name's first connection in the room and a leave its last, which decides the join/leave
 * envelopes. Not thread-safe: owned by the WebSocket verticle.
 */
public final class Roster {

  private final Map<String, Map<String, Integer>> rooms = new HashMap<>();

  /** Adds a connection of {@code name}; true when it is the name's first in the room here. */
  public boolean join(String room, String name) {
    return rooms.computeIfAbsent(room, r -> new TreeMap<>()).merge(name, 1, Integer::sum) == 1;
  }

  /** Removes a connection of {@code name}; true when it was the name's last in the room here. */
  public boolean leave(String room, String name) {
    Map<String, Integer> names = rooms.get(room);
    if (names == null || !names.containsKey(name)) {
      return false;
    }
    int left = names.merge(name, -1, Integer::sum);
    if (left > 0) {
      return false;
    }
    names.remove(name);
    if (names.isEmpty()) {
      rooms.remove(room);
    }
    return true;
  }

  /** The rooms that have a member here. */
  public java.util.Set<String> rooms() {
    return new java.util.TreeSet<>(rooms.keySet());
  }

  /** A copy of the room's names and counts here. */
  public Map<String, Integer> snapshot(String room) {
    return new TreeMap<>(rooms.getOrDefault(room, Map.of()));
  }
}
