package io.pulse.net;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Tells a session when its socket has room again: Netty's writability event (the outbound
 * queue fell below its low-water mark, half of {@code limits.sendQueueBytes}), seen before
 * Vert.x's handler, which does not pass it on. Installed only on connections that need it (a
 * slow client under policy {@code conflate}), so an ordinary connection carries no extra handler.
 * Reached through {@link VertxInternals#onWritable}.
 */
final class DrainSignal extends ChannelInboundHandlerAdapter {

  private static final String NAME = "pulse-drain";
  private final Runnable onDrain;

  private DrainSignal(Runnable onDrain) {
    this.onDrain = onDrain;
  }

  /**
   * Calls {@code onDrain} on the channel's event loop each time {@code ctx}'s channel turns
   * writable; {@code ctx} is Vert.x's handler context. Once per channel; false if it could not be
   * installed (the channel is closing).
   */
  static boolean install(ChannelHandlerContext ctx, Runnable onDrain) {
    if (ctx.pipeline().get(NAME) != null) {
      return true;
    }
    try {
      ctx.pipeline().addBefore(ctx.name(), NAME, new DrainSignal(onDrain));
      return true;
    } catch (RuntimeException e) {
      return false; // the handler was removed meanwhile: the channel is going away
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      onDrain.run();
    }
    ctx.fireChannelWritabilityChanged();
  }
}
