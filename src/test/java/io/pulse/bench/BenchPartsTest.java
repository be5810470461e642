package io.pulse.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench's small parsers and its report format. */
class BenchPartsTest {

  @Test
  void sseParserJoinsChunksAndSkipsEverythingButData() {
    List<String> got = new ArrayList<>();
    SseParser p = new SseParser((b, from, to) -> got.add(new String(b, from, to - from, StandardCharsets.UTF_8)));
    p.feed("retry: 2000\n: connected\n\n");
    p.feed("id: 0\ndata: {\"a\":");
    p.feed("1}\n");
    p.feed("\nid: 1\r\ndata: x\r\ndata:y\r\n\r\n: ping\n\n");
    assertEquals(List.of("{\"a\":1}", "x\ny"), got);
    p.feed("data: {\"seq\":1}\n\ndata: {\"seq\":2}\n\nda");
    p.feed("ta: split\n");
    p.feed("\n");
    assertEquals(List.of("{\"a\":1}", "x\ny", "{\"seq\":1}", "{\"seq\":2}", "split"), got);
  }

  @Test
  void heapInfoOfG1AndOfGenerationalCollectors() {
    String g1 = """
         garbage-first heap   total 262144K, used 23456K [0x0000000700000000, 0x0000000800000000)
          region size 1024K, 5 young (5120K), 0 survivors (0K)
         Metaspace       used 25633K, committed 26048K, reserved 1073741824K
        """;
    assertEquals(23456L, ServerProbe.parseHeapUsedKb(g1));
    String serial = """
         def new generation   total 9216K, used 1000K [0x1, 0x2, 0x3)
          eden space 8192K,  12% used [0x1, 0x2, 0x3)
         tenured generation   total 20480K, used 2000K [0x1, 0x2, 0x3)
         Metaspace       used 25633K, committed 26048K, reserved 1073741824K
          class space    used 3000K, committed 3200K, reserved 1048576K
        """;
    assertEquals(3000L, ServerProbe.parseHeapUsedKb(serial));
    assertNull(ServerProbe.parseHeapUsedKb("nothing here"));
  }

  @Test
  void ownProcessCanBeRead() {
    long pid = ProcessHandle.current().pid();
    assertTrue(ServerProbe.rssKb(pid) > 0);
    assertTrue(new ServerProbe().cpuMicros(pid) > 0);
  }

  @Test
  void serverCpuSplitByKindOfThread() {
    var before = java.util.Map.of("a/1/vert.x-eventloo", 100L, "a/2/C2 CompilerThre", 40L, "b/9/G1 Conc#0", 5L);
    var after = java.util.Map.of("a/1/vert.x-eventloo", 900L, "a/2/C2 CompilerThre", 240L, "b/9/G1 Conc#0", 25L,
        "b/3/C1 CompilerThre", 10L, "b/4/GC Thread#1", 30L, "a/5/hz.x.cached.th", 7L);
    var kinds = ServerProbe.cpuByKind(before, after);
    assertEquals(800L, kinds.get("event_loop"));
    assertEquals(210L, kinds.get("jit")); // 200 of a's C2, 10 of b's C1 (new since the first reading)
    assertEquals(50L, kinds.get("gc"));
    assertEquals(7L, kinds.get("other"));
    assertEquals(0L, ServerProbe.cpuByKind(java.util.Map.of(), java.util.Map.of()).get("jit"));
  }

  @Test
  void busiestThreadAndMachineLoad() {
    var busiest = ServerProbe.busiestThread(java.util.Map.of("a/1/loop", 100L, "a/2/gc", 50L),
        java.util.Map.of("a/1/loop", 900L, "a/2/gc", 700L, "a/3/new", 300L));
    assertEquals("a/1/loop", busiest.getKey());
    assertEquals(800L, busiest.getValue());
    assertNull(ServerProbe.busiestThread(java.util.Map.of(), java.util.Map.of()));
    long[] ticks = ServerProbe.machineTicks();
    assertTrue(ticks[1] >= ticks[0] && ticks[0] > 0);
    assertEquals(50.0, ServerProbe.machineBusyPercent(new long[] {10, 100}, new long[] {60, 200}));
    assertNull(ServerProbe.machineBusyPercent(null, ticks));
  }

  @Test
  void reportEndsWithOneJsonLine() {
    Report r = new Report().put("scenario", "ws-fanout").put("loss", 0.00012345).put("rss_per_connection_kb", null)
        .put("p", Double.NaN).note("memory", "table only");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    r.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals("{\"scenario\":\"ws-fanout\",\"loss\":1.23E-4,\"rss_per_connection_kb\":null,\"p\":null}", lines[lines.length - 1]);
    assertTrue(lines[1].contains("scenario") && lines[1].contains("ws-fanout"));
    assertEquals(Double.valueOf(0.5), Report.ratio(1, 2));
    assertNull(Report.ratio(1, 0));
  }

  @Test
  void serverWriteQuantilesFromTwoScrapesOfTheHistogram() {
    String before = """
        # HELP pulse_delivery_latency_seconds From publish to the write to a client socket
        # TYPE pulse_delivery_latency_seconds histogram
        pulse_delivery_latency_seconds_bucket{le="0.01"} 100
        pulse_delivery_latency_seconds_bucket{le="0.02"} 100
        pulse_delivery_latency_seconds_bucket{le="0.04"} 100 1763900000123
        pulse_delivery_latency_seconds_bucket{le="+Inf"} 100
        pulse_delivery_latency_seconds_count 100
        pulse_other_bucket{le="0.01"} 7
        """;
    // the measured phase: 100 writes within 10 ms, 800 in (10, 20], 100 in (20, 40]
    String after = before.replace("\"0.01\"} 100", "\"0.01\"} 200").replace("\"0.02\"} 100", "\"0.02\"} 1000")
        .replace("\"0.04\"} 100 ", "\"0.04\"} 1100 ").replace("\"+Inf\"} 100", "\"+Inf\"} 1100");
    ServerWrites.Histogram phase = ServerWrites.parse(after).since(ServerWrites.parse(before));
    assertEquals(1000, phase.count());
    assertEquals(10.0, phase.quantileMs(0.10), 1e-9); // the top of the first bucket
    assertEquals(15.0, phase.quantileMs(0.50), 1e-9); // halfway through (10, 20]
    assertEquals(38.0, phase.quantileMs(0.99), 1e-9); // 90 of 100 into (20, 40]
    assertEquals(0.8, phase.quantileMs(0.008), 1e-9); // inside the first bucket, from 0
    // two nodes add up; a quantile in the +Inf bucket, or without samples, is unknown
    assertEquals(2000, phase.plus(phase).count());
    ServerWrites.Histogram slow = ServerWrites.parse(
        "pulse_delivery_latency_seconds_bucket{le=\"0.01\"} 1\npulse_delivery_latency_seconds_bucket{le=\"+Inf\"} 10\n");
    assertNull(slow.quantileMs(0.5));
    assertNull(ServerWrites.parse("no histogram here").quantileMs(0.5));
    assertNull(phase.since(phase).quantileMs(0.5));
  }

  @Test
  void slowConsumersReadTheConflatedCounterOfTheirTransport() {
    String text = "# TYPE pulse_conflated_total counter\n"
        + "pulse_conflated_total{transport=\"sse\"} 12.0\n"
        + "pulse_conflated_total{transport=\"ws\"} 3457.0 1700000000000\n";
    assertEquals(3457.0, SlowConsumers.sample(text, "pulse_conflated_total", "transport=\"ws\""));
    assertEquals(12.0, SlowConsumers.sample(text, "pulse_conflated_total", "transport=\"sse\""));
    assertEquals(0.0, SlowConsumers.sample(text, "pulse_dropped_total", "transport=\"ws\""));
  }
}
