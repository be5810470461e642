package io.pulse.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Connections a bench client lost during a run, and why. Thread-safe. */
final class Drops {

  private final AtomicInteger count = new AtomicInteger();
  private final Map<String, LongAdder> reasons = new ConcurrentHashMap<>();

  void record(String why) {
    count.incrementAndGet();
    reasons.computeIfAbsent(why, k -> new LongAdder()).increment();
  }

  int count() {
    return count.get();
  }

  /** Reasons with their counts, sorted; empty when nothing was dropped. */
  String summary() {
    Map<String, Long> sorted = new TreeMap<>();
    reasons.forEach((k, v) -> sorted.put(k, v.sum()));
    return sorted.isEmpty() ? "" : sorted.toString();
  }
}
