using System.Net.Http.Headers;

namespace Webhooks.Core.Signing;

/// <summary>Standard Webhooks <c>v1</c> signatures; one per secret, space-separated, during a rotation.</summary>
internal sealed class StandardWebhooksSigner : IWebhookSigner
{
    public string Scheme => WebhookSignatureSchemes.StandardWebhooks;

    public void Sign(WebhookSigningContext context, HttpRequestHeaders headers)
    {
        var timestamp = context.Timestamp.ToUnixTimeSeconds();
        var secrets = context.Secrets;
        var value = secrets.Count == 1
            ? WebhookSignatures.StandardV1Header(secrets[0], context.MessageId, timestamp, context.Body.Span)
            : JoinSignatures(context, timestamp);
        headers.TryAddWithoutValidation(WebhookHeaders.Signature, value);
    }

    // Apart, so that the one-secret path allocates nothing but the header value (a lambda capturing
    // the context here would allocate its closure on every call).
    private static string JoinSignatures(WebhookSigningContext context, long timestamp) =>
        string.Join(' ', context.Secrets.Select(s => WebhookSignatures.StandardV1Header(s, context.MessageId, timestamp, context.Body.Span)));
}

/// <summary>Hex HMAC-SHA256 of the body in one configurable header (seed 004 style).</summary>
internal sealed class HmacSha256HexSigner(Microsoft.Extensions.Options.IOptions<WebhookOptions> options) : IWebhookSigner
{
    public string Scheme => WebhookSignatureSchemes.HmacSha256Hex;

    public void Sign(WebhookSigningContext context, HttpRequestHeaders headers)
    {
        var value = string.Join(' ', context.Secrets.Select(s => "sha256=" + WebhookSignatures.HexSha256(s, context.Body.Span)));
        headers.TryAddWithoutValidation(options.Value.HmacSignatureHeader, value);
    }
}

/// <summary>The Standard Webhooks header names.</summary>
public static class WebhookHeaders
{
    /// <summary><c>webhook-id</c>: the message id, the same on every attempt, so receivers can drop duplicates.</summary>
    public const string Id = "webhook-id";

    /// <summary><c>webhook-timestamp</c>: Unix seconds when the attempt was signed.</summary>
    public const string Timestamp = "webhook-timestamp";

    /// <summary><c>webhook-signature</c>: space-separated <c>v1,&lt;base64&gt;</c> signatures.</summary>
    public const string Signature = "webhook-signature";
}
