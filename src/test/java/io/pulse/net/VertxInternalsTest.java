package io.pulse.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.pulse.config.PulseConfig;
import io.pulse.testing.Http;
import io.pulse.testing.WsTestClient;
import io.pulse.ws.WsVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each way {@link VertxInternals} reaches into Vert.x works on this Vert.x version: the Netty
 * contexts of an HTTP/1.1 connection and of an upgraded WebSocket (where the transports write
 * their ready-made chunks and frames from), the swap of the WebSocket extension handler, and the
 * writability signal. A Vert.x upgrade that changes one of them fails here, not silently in
 * production. (The queue swap and the upgrade leftovers: {@link DirectWritesTest},
 * {@link UpgradeLeftoversTest}; the SSE direct path on a node: {@link SseDirectPathTest}.)
 */
@Timeout(60)
class VertxInternalsTest {

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  /** The HTTP port's options, as far as the pipeline goes: HTTP/1.1 only, strict thread mode. */
  private static HttpServerOptions httpPort() {
    return new HttpServerOptions().setHost("127.0.0.1").setHttp2ClearTextEnabled(false).setStrictThreadMode(true);
  }

  @Test
  @DisplayName("an HTTP/1.1 request's connection gives Vert.x's handler context, with Netty's response encoder before it")
  void httpConnectionContext() throws Exception {
    CompletableFuture<ChannelHandlerContext> seen = new CompletableFuture<>();
    int port = vertx.createHttpServer(httpPort())
        .requestHandler(req -> {
          ChannelHandlerContext ctx = VertxInternals.context(req.connection());
          seen.complete(ctx);
          HttpServerResponse res = req.response().setChunked(true);
          ChannelHandlerContext encoder = ctx == null ? null : ctx.pipeline().context(HttpResponseEncoder.class);
          if (encoder == null) {
            res.end();
            return;
          }
          // The SSE trick: once Vert.x has written the head, chunks go out from the encoder's position.
          res.write("a\n").onComplete(ar -> {
            encoder.writeAndFlush(Unpooled.copiedBuffer("2\r\nb\n\r\n", StandardCharsets.US_ASCII));
            res.end("c\n");
          });
        })
        .listen(0).await().actualPort();
    String body = Http.get(port, "/").body();
    ChannelHandlerContext ctx = seen.get(10, TimeUnit.SECONDS);
    assertNotNull(ctx, "no Netty context for an HTTP/1.1 connection");
    assertSame(ctx, ctx.pipeline().lastContext(), "Vert.x's handler is the last one: " + ctx.pipeline().names());
    assertNotNull(ctx.pipeline().context(HttpResponseEncoder.class), "the encoder: " + ctx.pipeline().names());
    assertEquals("a\nb\nc\n", body, "a chunk written past the encoder arrives between Vert.x's own");
  }

  @Test
  @DisplayName("an upgraded WebSocket gives Vert.x's handler context, with Netty's frame encoder before it")
  void webSocketContext() throws Exception {
    CompletableFuture<ChannelHandlerContext> seen = new CompletableFuture<>();
    PulseConfig cfg = PulseConfig.of(new JsonObject().put("ws.host", "127.0.0.1"));
    int port = vertx.createHttpServer(WsVerticle.serverOptions(cfg))
        .requestHandler(req -> req.toWebSocket().onSuccess(ws -> {
          ChannelHandlerContext ctx = VertxInternals.context(ws);
          seen.complete(ctx);
          if (ctx != null) {
            ws.textMessageHandler(text -> {
              ChannelHandlerContext framed = ctx.pipeline().context(WebSocketFrameEncoder.class);
              // A ready-made final text frame, as WsSession writes them.
              byte[] payload = text.getBytes(StandardCharsets.UTF_8);
              framed.writeAndFlush(Unpooled.buffer().writeByte(0x81).writeByte(payload.length).writeBytes(payload));
            });
          }
        }))
        .listen(0).await().actualPort();
    try (WsTestClient client = WsTestClient.connect(port)) {
      ChannelHandlerContext ctx = seen.get(10, TimeUnit.SECONDS);
      assertNotNull(ctx, "no Netty context for an upgraded WebSocket");
      assertSame(ctx, ctx.pipeline().lastContext(), "Vert.x's handler is the last one");
      assertNotNull(ctx.pipeline().context(WebSocketFrameEncoder.class), "the frame encoder: " + ctx.pipeline().names());
      client.send(new JsonObject().put("n", 7));
      assertEquals(7, client.next(Duration.ofSeconds(10)).getInteger("n"));
    }
  }

  @Test
  @DisplayName("Vert.x's WebSocket extension handler is found and replaced on a server with compression, absent without")
  void extensionHandlerReplaced() throws Exception {
    AtomicReference<WebSocketServerExtensionHandler> ours = new AtomicReference<>();
    CompletableFuture<Boolean> withCompression = new CompletableFuture<>();
    CompletableFuture<ChannelHandlerContext> ctxSeen = new CompletableFuture<>();
    int port = vertx.createHttpServer(httpPort().setPerMessageWebSocketCompressionSupported(true)
            .setPerFrameWebSocketCompressionSupported(false))
        .connectionHandler(conn -> {
          withCompression.complete(VertxInternals.replaceWebSocketExtensionHandler(conn, channel -> {
            ours.set(new WebSocketServerExtensionHandler(new PerMessageDeflateServerExtensionHandshaker()));
            return ours.get();
          }));
          ctxSeen.complete(VertxInternals.context(conn));
        })
        .requestHandler(req -> req.response().end())
        .listen(0).await().actualPort();
    CompletableFuture<Boolean> withoutCompression = new CompletableFuture<>();
    int plain = vertx.createHttpServer(httpPort() // Vert.x's defaults support both compression extensions
            .setPerMessageWebSocketCompressionSupported(false).setPerFrameWebSocketCompressionSupported(false))
        .connectionHandler(conn -> withoutCompression.complete(
            VertxInternals.replaceWebSocketExtensionHandler(conn, channel -> {
              throw new AssertionError("nothing to replace");
            })))
        .requestHandler(req -> req.response().end())
        .listen(0).await().actualPort();

    assertEquals(200, Http.get(port, "/").statusCode());
    assertTrue(withCompression.get(10, TimeUnit.SECONDS), "Vert.x's handler '" + VertxInternals.WS_EXTENSION_HANDLER
        + "' was not found");
    assertSame(ours.get(), ctxSeen.get(10, TimeUnit.SECONDS).pipeline().get(VertxInternals.WS_EXTENSION_HANDLER));
    assertEquals(200, Http.get(plain, "/").statusCode());
    assertFalse(withoutCompression.get(10, TimeUnit.SECONDS));
  }

  @Test
  @DisplayName("onWritable fires when a full socket turns writable again (Vert.x's handler does not pass the event on)")
  void writabilitySignal() throws Exception {
    CompletableFuture<Void> full = new CompletableFuture<>();
    CompletableFuture<Void> drained = new CompletableFuture<>();
    byte[] block = "z".repeat(16 * 1024).getBytes(StandardCharsets.US_ASCII);
    int port = vertx.createHttpServer(httpPort())
        .requestHandler(req -> {
          HttpServerResponse res = req.response().setChunked(true).setWriteQueueMaxSize(64 * 1024);
          ChannelHandlerContext ctx = VertxInternals.context(req.connection());
          for (int i = 0; i < 20_000 && ctx.channel().isWritable(); i++) {
            res.write(Buffer.buffer(block));
          }
          if (ctx.channel().isWritable()) {
            full.completeExceptionally(new AssertionError("the socket never filled up"));
          } else if (!VertxInternals.onWritable(ctx, () -> {
            drained.complete(null);
            res.end();
          })) {
            full.completeExceptionally(new AssertionError("the signal was not installed"));
          } else {
            full.complete(null);
          }
        })
        .listen(0).await().actualPort();
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(16 * 1024);
      socket.setSoTimeout(20_000);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      OutputStream out = socket.getOutputStream();
      out.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      full.get(20, TimeUnit.SECONDS); // the signal was installed on a channel that was not writable
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[64 * 1024];
      while (!drained.isDone() && in.read(buf) >= 0) {
        // reading is all it takes
      }
      drained.get(20, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("objects that are not Vert.x's own give no context")
  void foreignObjects() {
    assertNull(VertxInternals.context((HttpConnection) null));
    assertNull(VertxInternals.context((WebSocketBase) null));
  }
}
