package io.pulse.examples;

import io.pulse.config.PulseConfig;
import io.pulse.node.PulseNode;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An example moderation hook for the chat (and for pages, through the event-bus bridge): a
 * consumer on {@code app.moderation} (config {@code address}) that answers
 * {@code {"room","from","text"}} with a verdict (see {@link io.pulse.chat.Moderation}):
 * <ul>
 *   <li>a text with a blocked word ({@code spam}, {@code scam}) is rejected;</li>
 *   <li>a rude word ({@code darn}, {@code heck}) is masked: {@code "darn it"} becomes {@code "d*** it"};</li>
 *   <li>anything else is allowed.</li>
 * </ul>
 * It may run on any node: set {@code chat.moderation.address} to its address on the nodes with
 * the WebSocket chat, and list it in {@code bridge.inbound} for pages to ask it directly. It judges
 * the text only; a hook that acts on who asks (strikes, bans) must go by the header
 * {@code pulse-sub}, set by Pulse, never by the body's {@code from}, which a page may fill in.
 * {@code main} joins the Pulse cluster as a node of its own (no transports) and deploys it.
 */
public class ModerationVerticle extends VerticleBase {

  public static final String ADDRESS = "app.moderation";
  private static final List<String> BLOCKED = List.of("spam", "scam");
  private static final Map<String, String> MASKED = Map.of("darn", "d***", "heck", "h***");

  public static void main(String[] args) {
    PulseConfig cfg = PulseConfig.load(null, System.getenv(), Map.copyOf((Map) System.getProperties()));
    PulseNode.clusteredVertx(cfg, null).compose(vertx -> vertx.deployVerticle(new ModerationVerticle()))
        .await();
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().<Object>consumer(config().getString("address", ADDRESS), this::review).completion();
  }

  private void review(Message<Object> m) {
    if (!(m.body() instanceof JsonObject req) || !(req.getValue("text") instanceof String text)) {
      m.fail(400, "expected {\"text\": string}");
      return;
    }
    String lower = text.toLowerCase(Locale.ROOT);
    for (String word : BLOCKED) {
      if (lower.contains(word)) {
        m.reply(new JsonObject().put("action", "reject").put("reason", "no " + word + " here"));
        return;
      }
    }
    String rewritten = text;
    for (Map.Entry<String, String> e : MASKED.entrySet()) {
      rewritten = Pattern.compile("(?i)\\b" + e.getKey() + "\\b").matcher(rewritten).replaceAll(e.getValue());
    }
    m.reply(rewritten.equals(text) ? new JsonObject().put("action", "allow")
        : new JsonObject().put("action", "rewrite").put("text", rewritten));
  }
}
