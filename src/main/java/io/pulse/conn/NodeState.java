package io.pulse.conn;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Node-wide state shared by this node's verticles without them knowing each other: readiness,
 * draining, and the connection gate behind {@code limits.maxConnections} (SSE and WebSocket
 * together). Thread-safe; found through the node's local shared data.
 */
public final class NodeState implements Shareable {

  private static final String MAP = "pulse.node";
  private static final String KEY = "state";

  private final AtomicBoolean ready = new AtomicBoolean();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile int maxConnections = Integer.MAX_VALUE;
  private volatile int httpPort;
  private volatile int wsPort;

  /** The state of the node that {@code vertx} belongs to. */
  public static NodeState of(Vertx vertx) {
    LocalMap<String, NodeState> map = vertx.sharedData().getLocalMap(MAP);
    NodeState s = map.get(KEY);
    if (s == null) {
      map.putIfAbsent(KEY, new NodeState());
      s = map.get(KEY);
    }
    return s;
  }

  /** The ports actually bound (they differ from the configuration when it says 0). */
  public int httpPort() {
    return httpPort;
  }

  public void httpPort(int port) {
    httpPort = port;
  }

  public int wsPort() {
    return wsPort;
  }

  public void wsPort(int port) {
    wsPort = port;
  }

  public void maxConnections(int max) {
    maxConnections = max;
  }

  /** Takes a connection slot; false when the node is full. */
  public boolean tryAcquire() {
    while (true) {
      int n = connections.get();
      if (n >= maxConnections) {
        return false;
      }
      if (connections.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  public void release() {
    connections.decrementAndGet();
  }

  public int connections() {
    return connections.get();
  }

  /** Ready: joined, deployed, not draining. */
  public boolean ready() {
    return ready.get() && !draining.get();
  }

  public void markReady() {
    ready.set(true);
  }

  public boolean draining() {
    return draining.get();
  }

  public void markDraining() {
    draining.set(true);
  }
}
