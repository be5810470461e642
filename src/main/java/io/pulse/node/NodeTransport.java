package io.pulse.node;

import io.pulse.net.IoUringSettings;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;

/** The socket transport of a node ({@code node.transport}): the one to ask for, and the one in use. */
final class NodeTransport {

  private NodeTransport() {
  }

  /**
   * The socket transport for {@code node.transport}. {@code auto} takes io_uring where the kernel
   * allows it, else epoll, else Java NIO: on Linux the native ones cost less CPU per write (the
   * benchmark measured it; src/site/markdown/performance.md). A transport named explicitly but unavailable
   * falls back to NIO, with a warning from Vert.x. Applies {@link IoUringSettings} first.
   */
  static Transport of(String name) {
    IoUringSettings.apply();
    return switch (name) {
      case "io_uring" -> Transport.IO_URING;
      case "epoll" -> Transport.EPOLL;
      case "nio" -> Transport.NIO;
      default -> Transport.IO_URING != null && Transport.IO_URING.available() ? Transport.IO_URING
          : Transport.EPOLL != null && Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO;
    };
  }

  /**
   * "io_uring", "epoll" or "nio": the transport in use. Vert.x falls back to NIO when the one asked
   * for ({@code asked}, as {@link #of} chose it) is unavailable, so a native one is in use exactly
   * when Vert.x says a native transport is enabled.
   */
  static String nameOf(Vertx vertx, Transport asked) {
    return vertx.isNativeTransportEnabled() ? asked.name() : Transport.NIO.name();
  }
}
