using System.Net.Http.Headers;

namespace Webhooks.Core.Signing;

/// <summary>
/// Signs a delivery by adding headers to its request. Register more with
/// <c>AddSigner&lt;T&gt;()</c>; a subscription picks one by <see cref="Scheme"/>.
/// Implementations must be thread-safe: one instance signs every delivery.
/// </summary>
public interface IWebhookSigner
{
    /// <summary>The scheme name subscriptions refer to, such as <c>standard-webhooks</c>.</summary>
    string Scheme { get; }

    /// <summary>Adds the signature header(s) for <paramref name="context"/> to <paramref name="headers"/>.</summary>
    /// <param name="context">What to sign.</param>
    /// <param name="headers">The request headers to add to.</param>
    void Sign(WebhookSigningContext context, HttpRequestHeaders headers);
}

/// <summary>What a signer signs.</summary>
/// <param name="MessageId">The message id (<c>msg_…</c>), also sent as <c>webhook-id</c>.</param>
/// <param name="Timestamp">The attempt's timestamp, also sent as <c>webhook-timestamp</c> (Unix seconds).</param>
/// <param name="Body">The exact request body bytes.</param>
/// <param name="Secrets">The secrets to sign with, current first; more than one during a rotation.</param>
public readonly record struct WebhookSigningContext(string MessageId, DateTimeOffset Timestamp, ReadOnlyMemory<byte> Body, IReadOnlyList<string> Secrets);

/// <summary>Names of the built-in signature schemes.</summary>
public static class WebhookSignatureSchemes
{
    /// <summary>
    /// Standard Webhooks: <c>webhook-signature: v1,&lt;base64 HMAC-SHA256 of "id.timestamp.body"&gt;</c>,
    /// keyed by the base64-decoded part of the <c>whsec_</c> secret. Verifiable by the Standard
    /// Webhooks and Svix libraries.
    /// </summary>
    public const string StandardWebhooks = "standard-webhooks";

    /// <summary>
    /// <c>X-Webhook-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c>, keyed by the UTF-8
    /// bytes of the whole secret string (header name: <see cref="WebhookOptions.HmacSignatureHeader"/>).
    /// </summary>
    public const string HmacSha256Hex = "hmac-sha256";
}
