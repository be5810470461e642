package io.pulse.bench;

import java.net.URI;
import java.nio.file.Path;

/**
 * One Pulse node the bench talks to: where its HTTP API and WebSocket endpoint are and, when the
 * bench started it, its process (for the PID that memory and CPU readings need, and to stop it).
 */
public final class Node {

  final String name;
  final String httpHost;
  final int httpPort;
  final String wsHost;
  final int wsPort;
  final String wsPath;
  final Process process;
  final Path log;

  Node(String name, URI http, URI ws, Process process, Path log) {
    this.name = name;
    this.httpHost = http.getHost();
    this.httpPort = http.getPort() > 0 ? http.getPort() : 80;
    this.wsHost = ws.getHost();
    this.wsPort = ws.getPort() > 0 ? ws.getPort() : 80;
    this.wsPath = ws.getRawPath() == null || ws.getRawPath().isEmpty() ? "/ws" : ws.getRawPath();
    this.process = process;
    this.log = log;
  }

  /** True when the bench started this node, so its PID may be read. */
  boolean local() {
    return process != null;
  }

  long pid() {
    return process.pid();
  }

  String httpBase() {
    return "http://" + httpHost + ":" + httpPort;
  }

  @Override
  public String toString() {
    return name + " (" + httpBase() + ", ws://" + wsHost + ":" + wsPort + wsPath + (local() ? ", pid " + pid() : "") + ")";
  }
}
