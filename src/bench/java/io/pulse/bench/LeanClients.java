package io.pulse.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringSocketChannel;
import io.pulse.net.IoUringSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Subscribers written on bare Netty, for the fan-out scenarios: each connection parses what it
 * receives in place and hands every payload to the {@link Deliveries} as bytes, without the
 * per-message objects of a general-purpose client. The bench shares the machine's cores with the
 * nodes it measures, so what it spends per delivery is taken from the server (performance.md,
 * in src/site/markdown). One event loop per core, on the best socket transport available (io_uring,
 * epoll, NIO), like the nodes. This class owns the loops and the connections; a subclass gives
 * each connection its protocol handler.
 */
abstract class LeanClients extends Clients {

  private static final int CONNECT_TIMEOUT_MS = 20_000;

  protected final Deliveries deliveries;
  private final EventLoopGroup group;
  private final Class<? extends SocketChannel> channelType;
  private final Queue<Channel> channels = new ConcurrentLinkedQueue<>();

  /** Subscribers whose messages go to {@code deliveries}. */
  LeanClients(Deliveries deliveries) {
    this.deliveries = deliveries;
    IoHandlerFactory io;
    IoUringSettings.apply();
    if (IoUring.isAvailable()) {
      io = IoUringIoHandler.newFactory();
      channelType = IoUringSocketChannel.class;
    } else if (Epoll.isAvailable()) {
      io = EpollIoHandler.newFactory();
      channelType = EpollSocketChannel.class;
    } else {
      io = NioIoHandler.newFactory();
      channelType = NioSocketChannel.class;
    }
    group = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), io);
  }

  /** A connection's protocol handler: its opening, and its loss counted once. */
  protected abstract class Connection extends ChannelInboundHandlerAdapter {
    private final Promise<Void> opening = Promise.promise();
    private boolean open;
    private boolean gone;

    /** Subscribed: from now on, the connection's end counts as lost. */
    protected final void opened() {
      open = true;
      opening.tryComplete();
    }

    protected final boolean isOpen() {
      return open;
    }

    /** The connection ended ({@code why}): lost if it was open, else its opening failed. */
    protected final void ended(String why) {
      if (!open) {
        opening.tryFail(why);
      } else if (!gone) {
        gone = true;
        lost(why);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      ended(open ? "connection closed" : "connection closed before it was open");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      opening.tryFail(cause);
      ctx.close();
    }
  }

  /**
   * Connects to {@code host:port} with {@code connection}; completes once it is open
   * (subscribed), fails if it cannot be made or opened.
   */
  protected final Future<Void> connect(String host, int port, Connection connection) {
    return connect(host, port, null, connection);
  }

  /** The same, from {@code localAddress} (an IP address; null: the kernel's choice). */
  protected final Future<Void> connect(String host, int port, String localAddress, Connection connection) {
    Promise<Void> subscribed = connection.opening;
    java.net.InetSocketAddress remote = new java.net.InetSocketAddress(host, port);
    new Bootstrap().group(group).channel(channelType)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
        .handler(connection)
        .connect(remote, localAddress == null ? null : new java.net.InetSocketAddress(localAddress, 0))
        .addListener((ChannelFutureListener) f -> {
          if (f.isSuccess()) {
            channels.add(f.channel());
          } else {
            subscribed.tryFail(f.cause());
          }
        });
    return subscribed.future();
  }

  /** What a connection sends before it closes (a WebSocket close frame), on its event loop. */
  protected void beforeClose(Channel channel) {
  }

  @Override
  protected final Future<?> closeConnections() {
    Promise<Void> all = Promise.promise();
    AtomicInteger left = new AtomicInteger(channels.size());
    if (left.get() == 0) {
      return Future.succeededFuture();
    }
    Consumer<Channel> closeOne = ch -> {
      if (ch.isActive()) {
        beforeClose(ch);
      }
      ch.close().addListener(f -> {
        if (left.decrementAndGet() == 0) {
          all.complete();
        }
      });
    };
    channels.forEach(ch -> ch.eventLoop().execute(() -> closeOne.accept(ch)));
    return all.future();
  }

  @Override
  protected final Future<Void> closeClient() {
    Promise<Void> done = Promise.promise();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).addListener(f -> done.complete());
    return done.future();
  }
}
