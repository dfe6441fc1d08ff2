using Microsoft.AspNetCore.Http;

namespace Webhooks.AspNetCore.Receiving;

/// <summary>How <c>RequireWebhookSignature(...)</c> checks the webhooks an endpoint receives.</summary>
public class WebhookReceiverOptions
{
    /// <summary>
    /// The accepted <c>whsec_…</c> secrets; a message signed with any of them is accepted (list the
    /// old and the new one during a rotation). Ignored when <see cref="SecretResolver"/> is set.
    /// </summary>
    public IList<string> Secrets { get; } = [];

    /// <summary>
    /// Resolves the accepted secrets per request, for secrets that live in configuration, a vault or a
    /// database (use <see cref="HttpContext.RequestServices"/>). Takes precedence over <see cref="Secrets"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: <see cref="Secrets"/> is used.</value>
    public Func<HttpContext, IEnumerable<string>>? SecretResolver { get; set; }

    /// <summary>How far <c>webhook-timestamp</c> may be from now, in either direction; ids are remembered this long past their timestamp.</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan Tolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The largest body accepted, in bytes (at most 256 MiB: it is held in memory); a larger one is answered 413 without being read to the end.</summary>
    /// <value>The default value is 1 MiB (1048576).</value>
    public long MaxBodySize { get; set; } = 1024 * 1024;

    /// <summary>
    /// Whether a <c>webhook-id</c> already accepted is refused (409) within the tolerance window. An
    /// id is remembered only once its handler answered 2xx, so a sender's retry after an error gets through.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool PreventReplays { get; set; } = true;

    /// <summary>
    /// How many ids the built-in in-memory replay cache holds (per endpoint); when full, the ids closest
    /// to expiry are forgotten first. Not used when an <see cref="IWebhookReplayCache"/> is registered.
    /// </summary>
    /// <value>The default value is 100000.</value>
    public int ReplayCacheCapacity { get; set; } = 100_000;

    /// <summary>
    /// Also accept the hex scheme <c>sha256=&lt;HMAC-SHA256 of the body&gt;</c> in
    /// <see cref="HmacSignatureHeader"/> when <c>webhook-signature</c> is absent. That scheme signs no
    /// timestamp, so only the replay cache stands between a captured message and its replay: prefer
    /// Standard Webhooks signatures.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AcceptHmacSha256Hex { get; set; }

    /// <summary>The header of the hex scheme.</summary>
    /// <value>The default value is <c>X-Webhook-Signature</c>.</value>
    public string HmacSignatureHeader { get; set; } = "X-Webhook-Signature";
}
