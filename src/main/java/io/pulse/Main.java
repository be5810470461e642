package io.pulse;

import io.pulse.config.ConfigException;
import io.pulse.config.PulseConfig;
import io.pulse.node.PulseNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar pulse.jar [--conf FILE]}: starts one node; SIGTERM / Ctrl-C drains it and leaves the
 * cluster. {@code java -jar pulse.jar NAME …} runs the {@link Subcommand} of that name instead, when a jar
 * on the class path provides one (the benchmark, {@code bench}, from {@code pulse-bench.jar} beside it).
 * Exit codes: 0 normal, 1 failed to start, 2 bad configuration or arguments, 3 left the cluster after
 * this process was frozen longer than the heartbeat timeout and the cluster dropped it (restart it).
 */
public final class Main {

  private Main() {
  }

  public static void main(String[] args) {
    if (args.length > 0 && !args[0].startsWith("-")) {
      System.exit(runSubcommand(args[0], Arrays.copyOfRange(args, 1, args.length)));
    }
    System.setProperty("hazelcast.phone.home.enabled", "false");
    System.setProperty("java.net.preferIPv4Stack", "true");
    System.setProperty("hazelcast.logging.type", "slf4j");
    io.pulse.node.HeapDefaults.apply();
    Path confFile = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--conf", "-conf" -> {
          if (i + 1 >= args.length) {
            fail(2, "--conf needs a file");
          }
          confFile = Path.of(args[++i]);
        }
        case "--help", "-h" -> {
          System.out.println("usage: java -jar pulse.jar [--conf FILE]   (configuration: src/site/markdown/configuration.md)");
          return;
        }
        default -> fail(2, "unknown argument '" + args[i] + "' (usage: java -jar pulse.jar [--conf FILE])");
      }
    }
    PulseConfig cfg;
    try {
      Map<String, String> props = new HashMap<>();
      System.getProperties().forEach((k, v) -> props.put(String.valueOf(k), String.valueOf(v)));
      cfg = PulseConfig.load(confFile, System.getenv(), props);
    } catch (ConfigException e) {
      fail(2, e.getMessage());
      return;
    }
    Logger log = LoggerFactory.getLogger(Main.class);
    PulseNode node;
    try {
      node = PulseNode.start(cfg).await(120, TimeUnit.SECONDS);
    } catch (ConfigException e) {
      fail(2, e.getMessage());
      return;
    } catch (Exception e) {
      log.error("Pulse failed to start: {}", e.toString());
      fail(1, "Pulse failed to start: " + e.getMessage());
      return;
    }
    int grace = cfg.shutdownGraceSeconds();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close().await(Math.max(1, grace), TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("shutdown did not finish within shutdown.graceSeconds ({} s): {}", grace, e.toString());
      }
    }, "pulse-shutdown"));
    node.pauseGuard(() -> System.exit(EXIT_EXPELLED)).start();
    node.onMemberLost(() -> System.exit(EXIT_EXPELLED));
  }

  /**
   * The exit code after the cluster dropped this node while it was frozen (see
   * {@link io.pulse.node.PauseGuard}), or its Hazelcast member stopped under it.
   */
  public static final int EXIT_EXPELLED = 3;

  private static int runSubcommand(String name, String[] rest) {
    for (Subcommand c : ServiceLoader.load(Subcommand.class)) {
      if (c.name().equals(name)) {
        return c.run(rest);
      }
    }
    System.err.println("pulse: no command '" + name + "' in this build (usage: java -jar pulse.jar [--conf FILE]; "
        + "'bench' needs pulse-bench.jar beside pulse.jar: mvn -DskipTests package builds both)");
    return 2;
  }

  private static void fail(int code, String message) {
    System.err.println("pulse: " + message);
    System.exit(code);
  }
}
